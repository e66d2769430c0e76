import Foundation
package import LocalStore
import SyncProtocol
import SyncHTTP
import SyncModel

/// `sync --watch`, and the web dashboard while it serves: keeps a replica in step with its
/// server for as long as it runs.
///
/// One loop reacts to signals, one at a time, so a sync never overlaps another: a local commit
/// that left writes to send (``ReplicaChanges``, polled every ``localPoll``), the server's answer
/// to a wait (`POST /v1/wait`, always one outstanding while the server is reachable; it is never
/// abandoned, since the server would hold an abandoned one until its deadline), a retry timer,
/// and a heartbeat. Every sync is a whole ``ReplicaSync``, with its guarantees. When the server
/// cannot be reached, the watch says so once and tries again after a capped exponential backoff
/// with jitter; a wait that outlives the server's by ``watchdogSlack`` is a dead connection.
package struct LiveSync: Sendable {
    package var sync: ReplicaSync
    /// The longest each wait asks the server to hold it.
    package var waitSeconds: Int
    /// How much longer than a wait the client gives its answer before it calls the connection dead.
    package var watchdogSlack: Duration
    /// The first retry's delay, doubled at each failure in a row up to ``maxBackoff``.
    package var firstBackoff: Duration
    package var maxBackoff: Duration
    /// How often the replica file is asked whether another connection committed.
    package var localPoll: Duration

    package init(sync: ReplicaSync = ReplicaSync(), waitSeconds: Int = 25, watchdogSlack: Duration = .seconds(10),
                 firstBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(60), localPoll: Duration = .milliseconds(200)) {
        self.sync = sync
        self.waitSeconds = waitSeconds
        self.watchdogSlack = watchdogSlack
        self.firstBackoff = firstBackoff
        self.maxBackoff = maxBackoff
        self.localPoll = localPoll
    }

    private enum Signal: Sendable {
        case local
        case waited(Result<Bool, SyncError>)
        case retry
        case heartbeat
    }

    /// The delay before retry number `failures` (1 for the first): doubling from
    /// ``firstBackoff`` up to ``maxBackoff``, each time between half and all of it at random, so
    /// that watchers cut off together do not come back together.
    package func backoff(after failures: Int) -> Duration {
        let doubled = firstBackoff * Int(1 << min(max(failures - 1, 0), 20))
        let capped = min(doubled, maxBackoff)
        return capped * Double.random(in: 0.5...1.0)
    }

    /// Watches `replica` (the file at `path`) until the task is cancelled, reporting each event.
    /// - Throws: ``SyncError/notConfigured(_:)`` without a server or token, a ``ClientError``
    ///   when another watch runs for the file; never for the server's failures, which it outlives.
    package func run(replica: Replica, path: String, settings: EffectiveSettings,
                     report: @escaping @Sendable (LiveEvent, Int64) -> Void) async throws {
        guard !settings.server.isEmpty else { throw SyncError.notConfigured("no server URL is saved") }
        guard !settings.token.isEmpty else { throw SyncError.notConfigured("no token is saved") }
        try ServerAddress.check(settings.server)
        let lock = try WatchLock(replica: path)
        let changes = try ReplicaChanges(path: path)
        var record = WatchRecord(pid: getpid(), started: WallClock.now(), server: settings.server)
        try record.save(replica: path)
        try await HTTPTransport.withTransport(server: settings.server, token: settings.token,
                                              connectTimeoutSeconds: sync.connectTimeout, caFile: settings.caFile) { http in
            try await watch(replica, changes: changes, http: http, server: settings.server, record: &record, path: path, report: report)
        }
        let now = WallClock.now()
        record.heartbeat = now
        (record.last, record.lastTime) = (LiveEvent.stopped.line, now)
        try? record.save(replica: path)
        report(.stopped, now)
        withExtendedLifetime(lock) {}
    }

    private func watch(_ replica: Replica, changes: ReplicaChanges, http: HTTPTransport, server: String, record: inout WatchRecord,
                       path: String, report: @escaping @Sendable (LiveEvent, Int64) -> Void) async throws {
        let (signals, post) = AsyncStream.makeStream(of: Signal.self)
        let localPoll = self.localPoll, waitSeconds = self.waitSeconds, slack = self.watchdogSlack
        await withDiscardingTaskGroup { group in
            group.addTask { await Self.watchLocal(replica, changes, every: localPoll, post: post) }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(WatchRecord.heartbeatSeconds))
                    post.yield(.heartbeat)
                }
            }
            func emit(_ event: LiveEvent) {
                let now = WallClock.now()
                (record.heartbeat, record.last, record.lastTime) = (now, event.line, now)
                try? record.save(replica: path)
                report(event, now)
            }
            func retry(after delay: Duration) {
                group.addTask {
                    try? await Task.sleep(for: delay)
                    post.yield(.retry)
                }
            }
            var needSync = true, waiting = false, retrying = false
            var syncFailures = 0, waitFailures = 0
            var lastRefusal: String?
            var iterator = signals.makeAsyncIterator()
            emit(.started(server: server))
            while !Task.isCancelled {
                if needSync && !retrying {
                    needSync = false
                    do {
                        let outcome = try await sync.run(replica: replica, server: server, over: http)
                        if let since = record.unreachableSince {
                            emit(.reconnected(seconds: Int((WallClock.now() - since) / 1000)))
                            record.unreachableSince = nil
                        }
                        // After an outage, waits start afresh too.
                        if syncFailures > 0 { waitFailures = 0 }
                        (syncFailures, record.failedAttempts, lastRefusal) = (0, 0, nil)
                        let event = LiveEvent.synced(outcome)
                        if event.isWorthALine { emit(event) }
                    } catch {
                        if Task.isCancelled { break }
                        syncFailures += 1
                        record.failedAttempts += 1
                        let delay = backoff(after: syncFailures)
                        if case SyncError.unreachable(_, let reason) = error {
                            if record.unreachableSince == nil {
                                record.unreachableSince = WallClock.now()
                                emit(.unreachable(reason: reason, retry: delay))
                            }
                        } else {
                            let (code, message) = Self.refusal(error)
                            if message != lastRefusal { emit(.refused(code: code, message: message, retry: delay)) }
                            lastRefusal = message
                        }
                        try? record.save(replica: path)
                        retrying = true
                        retry(after: delay)
                    }
                }
                if !waiting && !retrying && record.unreachableSince == nil {
                    guard let cursor = try? replica.serverCursor() else {
                        // No position in the feed to wait from (the last pull did not end): sync again a wait later.
                        retrying = true
                        retry(after: .seconds(waitSeconds))
                        continue
                    }
                    waiting = true
                    let request = WaitRequest(replica: replica.id, cursor: cursor, access: try? replica.accessCursor())
                    group.addTask {
                        do {
                            post.yield(.waited(.success(try await http.wait(request, seconds: waitSeconds, slack: slack).changed)))
                        } catch let error as SyncError {
                            post.yield(.waited(.failure(error)))
                        } catch {
                            post.yield(.waited(.failure(.unreachable(server: server, reason: String(describing: error)))))
                        }
                    }
                }
                guard let signal = await iterator.next() else { break }
                switch signal {
                case .local:
                    needSync = true
                case .retry:
                    (retrying, needSync) = (false, true)
                case .heartbeat:
                    record.heartbeat = WallClock.now()
                    try? record.save(replica: path)
                case .waited(.success(let changed)):
                    (waiting, waitFailures) = (false, 0)
                    if changed { needSync = true }
                case .waited(.failure(let error)):
                    waiting = false
                    switch error {
                    case .unreachable where waitFailures == 0, .server(_, .unknownCursor, _) where waitFailures == 0:
                        // A sync finds out whether the server is there, and starts over from a refused cursor.
                        waitFailures += 1
                        needSync = true
                    default:
                        // A limit, a server without waits, or waits that keep failing where syncs
                        // do not (a proxy that cuts long requests): the watch still syncs, less often.
                        waitFailures += 1
                        record.failedAttempts += 1
                        let delay = backoff(after: waitFailures)
                        let (code, message) = Self.refusal(error)
                        if message != lastRefusal {
                            if case .unreachable(_, let reason) = error {
                                emit(.unreachable(reason: reason, retry: delay))
                            } else {
                                emit(.refused(code: code, message: message, retry: delay))
                            }
                        }
                        lastRefusal = message
                        retrying = true
                        retry(after: delay)
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Posts ``Signal/local`` each time another connection commits to the file and leaves writes
    /// to send (this watch's own syncs commit too, and leave none).
    private static func watchLocal(_ replica: Replica, _ changes: ReplicaChanges, every interval: Duration,
                                   post: AsyncStream<Signal>.Continuation) async {
        var last = try? changes.version()
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard let now = try? changes.version(), now != last else { continue }
            last = now
            if let pending = try? replica.pendingCount(), pending > 0 { post.yield(.local) }
        }
    }

    /// The code and sentence of a failure other than an unreachable server.
    private static func refusal(_ error: any Error) -> (ServerErrorCode, String) {
        if case SyncError.server(_, let code, let message) = error { return (code, message) }
        if let refusal = error as? AccessRefusal { return (refusal.code, refusal.description) }
        return (.unknown("client"), String(describing: error))
    }
}
