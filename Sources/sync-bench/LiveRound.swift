import AsyncHTTPClient
import Foundation
import LocalStore
import SyncClientCore
import SyncHTTP
import SyncModel
import SyncProtocol
import SyncServerCore

/// The measurements of `sync-bench live`, each on replicas watched in this process by the
/// same loop `sync-client sync --watch` runs (``LiveSync``).
enum LiveRound {
    /// Percentiles of a round's latencies, in milliseconds.
    struct Figures {
        var p50: Double
        var p95: Double
        var samples: Int
        var text: String { String(format: "p50 %.0f ms, p95 %.0f ms (%d arrivals)", p50, p95, samples) }
    }

    /// When each watcher received each version: a watcher's `n`-th version arrived at `times[n-1]`.
    final class Arrivals: @unchecked Sendable {
        private let lock = NSLock()
        private var times: [[ContinuousClock.Instant]]

        init(watchers: Int) { times = Array(repeating: [], count: watchers) }

        private var armed = false

        /// Counts from now on: what the watchers' first syncs brought is not a write of the round.
        func arm() { lock.withLock { armed = true } }

        func note(_ watcher: Int, received: Int) {
            let now = ContinuousClock.now
            lock.withLock { if armed { times[watcher] += Array(repeating: now, count: received) } }
        }

        /// When every watcher holds `count` versions, each watcher's arrival of the `count`-th; nil before.
        func all(holding count: Int) -> [ContinuousClock.Instant]? {
            lock.withLock { times.allSatisfy { $0.count >= count } ? times.map { $0[count - 1] } : nil }
        }
    }

    /// Replicas of the analysts `names` (with `tokens`) at `url`, each watched by a ``LiveSync``;
    /// `onReceived` hears each sync's received versions by replica index.
    static func watch(_ names: [(name: String, token: String)], url: String, folder: String,
                      onReceived: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> (replicas: [Replica], tasks: [Task<Void, any Error>]) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var replicas: [Replica] = []
        var tasks: [Task<Void, any Error>] = []
        for (index, analyst) in names.enumerated() {
            let path = folder + "/\(analyst.name).sqlite"
            let saved = ReplicaSettings(server: url, token: analyst.token, analyst: analyst.name)
            let replica = try Replica.create(path: path, settings: saved)
            let settings = EffectiveSettings(saved: saved, server: nil, token: nil, caFile: nil, environment: [:])
            replicas.append(replica)
            tasks.append(Task {
                try await LiveSync().run(replica: replica, path: path, settings: settings) { event, _ in
                    if case .synced(let outcome) = event, outcome.stats.received > 0 { onReceived(index, outcome.stats.received) }
                }
            })
        }
        return (replicas, tasks)
    }

    /// Returns once every replica has finished a sync, and a second more for their waits to park.
    static func settled(_ replicas: [Replica]) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while try replicas.contains(where: { try $0.lastSync() == nil }) {
            guard ContinuousClock.now < deadline else { throw BenchError("the watchers did not finish their first sync in 2 minutes") }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .seconds(1))
    }

    static func stop(_ tasks: [Task<Void, any Error>]) async {
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.result }
    }

    /// `writes` single writes, one at a time, on a watching replica at `writerURL`, each timed
    /// from its commit until every one of `watchers` watching replicas at `watcherURL` holds it.
    static func latency(writerURL: String, watcherURL: String, watchers: Int, writes: Int, tokens: [String], folder: String) async throws -> Figures {
        let arrivals = Arrivals(watchers: watchers)
        let (writer, writerTasks) = try watch([("analyst0", tokens[0])], url: writerURL, folder: folder)
        let names = (1...watchers).map { ("analyst\($0)", tokens[$0]) }
        let (replicas, tasks) = try watch(names, url: watcherURL, folder: folder, onReceived: { arrivals.note($0, received: $1) })
        // Every watcher's first sync done (what it brought is not counted) and its wait parked.
        try await settled(writer + replicas)
        arrivals.arm()
        FileHandle.standardError.write(Data("live: \(watchers) watchers settled\n".utf8))
        var latencies: [Double] = []
        let record = RecordID.random()
        for index in 0..<writes {
            let committed = ContinuousClock.now
            _ = try writer[0].write([FieldChange(record: record, kind: "cell", field: "title", value: .text("live \(index)"))], at: WallClock.now())
            let deadline = committed + .seconds(30)
            var arrived: [ContinuousClock.Instant]?
            while arrived == nil {
                guard ContinuousClock.now < deadline else { throw BenchError("write \(index) did not reach every watcher in 30 s") }
                try await Task.sleep(for: .milliseconds(2))
                arrived = arrivals.all(holding: index + 1)
            }
            latencies += (arrived ?? []).map { seconds($0 - committed) * 1000 }
        }
        await stop(writerTasks + tasks)
        let sorted = latencies.sorted()
        FileHandle.standardError.write(Data("live: \(watchers) watchers at \(watcherURL): \(sorted.count) arrivals\n".utf8))
        return Figures(p50: sorted[sorted.count / 2], p95: sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))], samples: sorted.count)
    }

    /// `watchers` watching replicas left idle for `seconds`: the requests the server logged for
    /// them and the CPU it used meanwhile.
    static func idle(server: BenchServer, log: String, watchers: Int, seconds: Int, tokens: [String], folder: String) async throws -> (text: String, perMinute: Double) {
        let names = (1...watchers).map { ("analyst\($0)", tokens[$0]) }
        let (replicas, tasks) = try watch(names, url: server.url, folder: folder)
        try await settled(replicas)
        let before = requests(in: log)
        let cpu = try CPUSample(pid: server.process.processIdentifier)
        try await Task.sleep(for: .seconds(seconds))
        let counted = requests(in: log) - before
        let percent = cpu.percent()
        await stop(tasks)
        let perMinute = Double(counted) / Double(watchers) / (Double(seconds) / 60)
        return (String(format: "%.2f requests per watcher per minute; server CPU %.2f %% of a core", perMinute, percent), perMinute)
    }

    /// The sync and wait requests a server's log names.
    static func requests(in log: String) -> Int {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains("/v1/wait") || $0.contains("/v1/sync") }.count
    }

    /// Seconds from SIGTERM to the end of a server holding `parked` waits; every wait must be answered.
    static func shutdown(parked: Int, database: String) async throws -> Double {
        let token = TokenHasher.makeToken(analyst: "alice")
        let store = try SQLiteServerStore.open(path: database)
        try store.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 0)
        try store.close()
        let server = try BenchServer(database: database, arguments: ["--max-waits-per-analyst", String(parked)])
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = parked
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let transport = HTTPTransport(client: client, server: server.url, token: token)
            let request = WaitRequest(replica: .random(), cursor: .start, access: nil)
            let answers = Task {
                await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<parked { group.addTask { (try? await transport.wait(request, seconds: 25))?.changed == false } }
                    return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
            }
            try await Task.sleep(for: .seconds(parked >= 200 ? 6 : 3))
            let started = ContinuousClock.now
            server.stop()
            let elapsed = seconds(ContinuousClock.now - started)
            let answered = await answers.value
            guard answered == parked else { throw BenchError("\(answered) of \(parked) parked waits were answered at shutdown") }
            try await client.shutdown()
            return elapsed
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The median of `runs` calls of `body`, in milliseconds.
    static func medianMilliseconds(runs: Int, _ body: () async throws -> Void) async throws -> Double {
        var times: [Double] = []
        for _ in 0..<runs { times.append(try await SyncBench.measure(body) * 1000) }
        return times.sorted()[runs / 2]
    }
}

/// The CPU time a process used from now on, as a share of one core (`/proc/PID/stat`).
struct CPUSample {
    let pid: Int32
    let ticks: Int
    let started = ContinuousClock.now

    init(pid: Int32) throws {
        self.pid = pid
        ticks = try Self.ticks(pid)
    }

    func percent() -> Double {
        let used = Double(((try? Self.ticks(pid)) ?? ticks) - ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
        return used / seconds(ContinuousClock.now - started) * 100
    }

    /// utime + stime, the 14th and 15th fields (after the command's parenthesised name).
    static func ticks(_ pid: Int32) throws -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            throw BenchError("cannot read /proc/\(pid)/stat")
        }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { throw BenchError("unexpected /proc/\(pid)/stat") }
        return user + system
    }
}
