import Foundation
import GRDB
import Testing
import TestSupport

/// `sync-client sync --watch` with the real binaries on 127.0.0.1: writes arrive on the other
/// analyst's replica within seconds, a server killed or stopped is waited out with backoff, and
/// nothing is lost or doubled.
@Suite(.serialized, .ownThreads) struct LiveEndToEndTests {
    /// Writes `count` titles on `writer`'s cell `cell`, each by a real `cell set` (a process of
    /// its own, as another terminal would), and returns, for each, the seconds from the end of
    /// that process (after its commit) to the moment `reader`'s file held the version.
    static func arrivals(writer: Client, reader: Client, cell: String, count: Int, timeout: TimeInterval = 60) throws -> [Double] {
        let writerID = try #require((try writer.json("status") as? [String: Any])?["replica"] as? String)
        let base = try FileCheck.counters(writer.replica)[writerID] ?? 0
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: reader.replica, configuration: configuration)
        let log = ArrivalLog(count: count)
        let path = reader.replica
        let poller = Thread {
            while !log.done {
                log.note(held: (try? FileCheck.held(path, replica: writerID, queue: queue)) ?? 0, base: base, at: Date())
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        poller.start()
        var commits: [Date?] = []
        for index in 0..<count {
            try writer.ok("cell", "set", cell, "title", "live \(index)")
            commits.append(Date())
        }
        let deadline = Date().addingTimeInterval(timeout)
        while log.arrived.contains(nil) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        log.done = true
        let (sent, received) = (commits, log.arrived)
        #expect(!received.contains(nil), "\(received.filter { $0 == nil }.count) of \(count) writes never arrived")
        return zip(sent, received).compactMap { commit, arrival in
            guard let commit, let arrival else { return nil }
            return max(0, arrival.timeIntervalSince(commit))
        }
    }

    @Test func aWriteOnOneWatchingReplicaReachesTheOtherWithinTwoSeconds() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        let cell = try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing").trimmingCharacters(in: .whitespacesAndNewlines)
        try alice.ok("sync")
        try bob.ok("sync")
        let watchers = try [alice, bob].map { try Watcher($0) }
        for watcher in watchers { try watcher.waitFor("started") }
        #expect(try bob.ok("status").contains("Watch    running"), "status shows the running watch")

        let latencies = try Self.arrivals(writer: alice, reader: bob, cell: cell, count: 100)
        let (p50, p95) = (percentile(latencies, 0.5), percentile(latencies, 0.95))
        print("LiveEndToEndTests SQLite: commit to arrival over \(latencies.count) writes: p50 \(Int(p50 * 1000)) ms, p95 \(Int(p95 * 1000)) ms, max \(Int((latencies.max() ?? 0) * 1000)) ms")
        #expect(latencies.count == 100 && p95 < 2, "p95 \(p95) s")
        // And the other way: bob's write reaches alice.
        let back = try Self.arrivals(writer: bob, reader: alice, cell: cell, count: 3)
        #expect(back.count == 3 && back.allSatisfy { $0 < 5 }, "\(back)")

        for watcher in watchers {
            let (seconds, result) = watcher.stop()
            #expect(seconds < 2 && result.status == 0, "a watch stopped in \(seconds) s with status \(result.status): \(result.stderr)")
            #expect(result.stdout.split(separator: "\n").last?.contains(#""event":"stopped""#) == true, "\(result.stdout.suffix(300))")
        }
        #expect(watchers[1].count("unreachable") == 0)
        #expect(try bob.ok("status").contains("Watch    not running"), "status shows the watch ended")
        try CrashEndToEndTests.expectConverged(server, [alice, bob])
    }

    @Test func watchersOutliveAKilledAndAStoppedServerWithBackoffAndLoseNothing() throws {
        let workspace = try Workspace()
        var server = try ServerProcess(workspace: workspace)
        let port = server.port
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("sync")
        try bob.ok("sync")
        let watchers = try [alice, bob].map { try Watcher($0, ["--max-backoff", "0.5"]) }
        for watcher in watchers { try watcher.waitFor("started") }
        try alice.ok("cell", "create", "--number", "21", "--title", "Before the crash")
        try watchers[1].waitFor("synced")

        // Killed: both notice, back off, and reconnect by themselves once it is back on its port.
        server.kill()
        try alice.ok("cell", "create", "--number", "22", "--title", "Written while the server was dead")
        try bob.ok("cell", "create", "--number", "23", "--title", "Also written while it was dead")
        for watcher in watchers { try watcher.waitFor("unreachable") }
        server = try ServerProcess(workspace: workspace, port: port)
        for watcher in watchers { try watcher.waitFor("reconnected") }
        try Self.waitUntilConverged(server, [alice, bob])

        // Stopped for a while: the watchers try again with backoff (capped at 0.5 s here, a
        // minute by default), counted in their status, and catch up when it returns.
        server.stop()
        try alice.ok("cell", "create", "--number", "24", "--title", "Written while the server was stopped")
        Thread.sleep(forTimeInterval: 4)
        let status = try #require(try alice.json("status") as? [String: Any])
        let watch = try #require(status["watch"] as? [String: Any])
        let tries = try #require(watch["failedAttempts"] as? Int)
        #expect(watch["running"] as? Bool == true && watch["unreachableSince"] != nil)
        // 4 s at a cap of 0.5 s with jitter is at most about 16 tries; a tight loop makes thousands.
        #expect((2...20).contains(tries), "alice's watch tried \(tries) times in 4 s")
        server = try ServerProcess(workspace: workspace, port: port)
        for watcher in watchers { try watcher.waitFor("reconnected", count: 2) }
        try Self.waitUntilConverged(server, [alice, bob])
        for watcher in watchers {
            #expect(watcher.count("unreachable") == 2, "the outage was said once each time")
            #expect(watcher.stop().result.status == 0)
        }
        try CrashEndToEndTests.expectConverged(server, [alice, bob])
        let titles = try #require(try bob.json("cell", "list") as? [[String: Any]]).count
        #expect(titles == 5, "every cell written, online or not, is on bob's replica")
        server.stop()
    }

    /// Waits until the replicas hold what the server holds, and the server every replica's writes.
    static func waitUntilConverged(_ server: ServerProcess, _ clients: [Client], timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let onServer = try FileCheck.counters(server.database)
            let replicas = try clients.map { try FileCheck.counters($0.replica) }
            let own = try clients.map { try #require((try $0.json("status") as? [String: Any])?["pending"] as? Int) }
            if replicas.allSatisfy({ $0 == onServer }) && own.allSatisfy({ $0 == 0 }) { return }
            guard Date() < deadline else { throw HarnessError("the watchers did not converge: server \(onServer), replicas \(replicas), pending \(own)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}

/// When each of a run of writes was first seen on the reading replica; shared with the thread
/// that polls its file.
final class ArrivalLog: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [Date?]
    private var finished = false

    init(count: Int) { times = Array(repeating: nil, count: count) }

    var arrived: [Date?] { lock.withLock { times } }
    var done: Bool {
        get { lock.withLock { finished } }
        set { lock.withLock { finished = newValue } }
    }

    /// The file holds the writer's versions up to counter `held`; write `i` is counter `base + i + 1`.
    func note(held: Int, base: Int, at time: Date) {
        lock.withLock {
            for index in times.indices where base + index + 1 <= held && times[index] == nil { times[index] = time }
        }
    }
}
