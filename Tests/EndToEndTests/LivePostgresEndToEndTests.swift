import Foundation
import Testing
import TestSupport
import ThrowawayPostgres

/// Watching replicas on three `sync-server` instances of one PostgreSQL database: a push through
/// one instance wakes waits parked on another (each instance polls the database's change stamp).
extension LiveEndToEndTests {
    @Test func onThreePostgreSQLInstancesAWriteThroughOneReachesAWatcherOfAnother() throws {
        let url = try PostgresCluster.shared().makeDatabase()
        let workspace = try Workspace()
        var servers = try (0..<3).map { _ in try ServerProcess(workspace: workspace, database: url) }
        defer { for server in servers { server.stop() } }
        let alice = try Client(workspace: workspace, name: "alice", server: servers[0], token: try servers[0].addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: servers[2], token: try servers[2].addAnalyst("bob"))
        let cell = try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing").trimmingCharacters(in: .whitespacesAndNewlines)
        try alice.ok("sync")
        try bob.ok("sync")
        let watchers = try [alice, bob].map { try Watcher($0, ["--max-backoff", "0.5"]) }
        for watcher in watchers { try watcher.waitFor("started") }

        let latencies = try Self.arrivals(writer: alice, reader: bob, cell: cell, count: 30)
        let (p50, p95) = (percentile(latencies, 0.5), percentile(latencies, 0.95))
        print("LiveEndToEndTests PostgreSQL, writer and reader on different instances: commit to arrival over \(latencies.count) writes: p50 \(Int(p50 * 1000)) ms, p95 \(Int(p95 * 1000)) ms")
        #expect(latencies.count == 30 && p95 < 2, "p95 \(p95) s")

        // Bob's instance is killed and comes back on its port: his watch reconnects, nothing is lost.
        let port = servers[2].port
        servers[2].kill()
        try bob.ok("cell", "create", "--number", "21", "--title", "Written while bob's instance was dead")
        try alice.ok("cell", "create", "--number", "22", "--title", "Written meanwhile through alice's")
        try watchers[1].waitFor("unreachable")
        servers[2] = try ServerProcess(workspace: workspace, database: url, port: port)
        try watchers[1].waitFor("reconnected")
        let deadline = Date().addingTimeInterval(30)
        while try FileCheck.counters(alice.replica) != FileCheck.counters(bob.replica) {
            guard Date() < deadline else { throw HarnessError("the replicas did not converge through three instances") }
            Thread.sleep(forTimeInterval: 0.1)
        }
        for watcher in watchers { #expect(watcher.stop().result.status == 0) }
        for client in [alice, bob] { #expect((try client.json("status") as? [String: Any])?["pending"] as? Int == 0) }
        let exports = try [alice, bob].map { try $0.ok("export") }
        #expect(Set(exports).count == 1 && exports[0].contains("Written while bob's instance was dead") && exports[0].contains("Written meanwhile"))
    }
}
