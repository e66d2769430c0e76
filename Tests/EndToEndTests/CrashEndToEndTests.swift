import Foundation
import Testing
import TestSupport

/// Kills the real processes in the middle of syncs (SIGKILL, as a crash or power cut would) and
/// checks afterwards that every file is sound, no version is lost or stored twice, and all
/// replicas converge.
@Suite(.serialized, .ownThreads) struct CrashEndToEndTests {
    static let pause = "400"

    /// The analysts' replicas and the server's file hold the same versions, each replica's
    /// exactly `1...n`, every file passes `PRAGMA integrity_check`, and nothing waits to be sent.
    static func expectConverged(_ server: ServerProcess, _ clients: [Client], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for path in [server.database] + clients.map(\.replica) {
            #expect(try FileCheck.integrity(path) == "ok", "\(path)", sourceLocation: sourceLocation)
        }
        let onServer = try FileCheck.counters(server.database)
        for client in clients {
            #expect(try FileCheck.counters(client.replica) == onServer, "\(client.replica) differs from the server", sourceLocation: sourceLocation)
            let status = try #require(try client.json("status") as? [String: Any])
            #expect(status["pending"] as? Int == 0, sourceLocation: sourceLocation)
            let own = try #require(status["replica"] as? String)
            #expect(onServer[own] != nil, "the server holds none of \(own)'s writes", sourceLocation: sourceLocation)
        }
        let exports = try clients.map { try $0.ok("export") }
        #expect(Set(exports).count == 1, "the replicas' dashboards differ", sourceLocation: sourceLocation)
    }

    /// Each replica's own counter before the crashes: the server must end up with all of them.
    static func ownCounters(_ clients: [Client]) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for client in clients {
            let status = try #require(try client.json("status") as? [String: Any])
            let own = try #require(status["replica"] as? String)
            result[own] = try FileCheck.counters(client.replica)[own] ?? 0
        }
        return result
    }

    @Test func theServerKilledAtManyPointsOfSyncsLosesNothingAndDuplicatesNothing() throws {
        let seed = testSeeds(count: 1, base: 0xC4A5_4001)[0]
        print("CrashEndToEndTests server kills: seed \(seed) (rerun with SYNC_TEST_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let workspace = try Workspace()
        var server = try ServerProcess(workspace: workspace)
        let port = server.port
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try alice.ok("import", try LoadDashboard.write(in: workspace, signals: 150, tag: "alice-0", random: &random))
        try bob.ok("import", try LoadDashboard.write(in: workspace, signals: 150, tag: "bob-0", random: &random))
        server.kill()

        // Killed while a request's transaction is open, and after it committed but before the
        // answer left (the answer is lost); at the first request (a pull) and later pushes.
        let points: [(String, Int)] = [
            ("before-commit", 1), ("after-commit", 1), ("before-commit", 2),
            ("after-commit", 2), ("before-commit", 4), ("after-commit", 5),
        ]
        for (round, (point, request)) in points.enumerated() {
            server = try ServerProcess(workspace: workspace, port: port, extraArguments: ["--test-pause-\(point)-ms", Self.pause])
            let client = round % 2 == 0 ? alice : bob
            // No retries: the server stays down, and this test is about what the kill leaves.
            let sync = try workspace.start("sync-client", ["sync", "--replica", client.replica, "--page-size", "100", "--retries", "0"])
            try server.waitForLog("test pause: \(point)", count: request)
            server.kill()
            let result = sync.wait()
            #expect(result.status != 0, "round \(round): the sync cannot have finished")
            #expect(result.stderr.contains("writes are kept"), "round \(round): \(result.stderr)")
            #expect(try FileCheck.integrity(server.database) == "ok")
            _ = try FileCheck.counters(server.database)
            // More offline work before the next attempt
            try client.ok("import", try LoadDashboard.write(in: workspace, signals: 5, tag: "round-\(round)", random: &random))
        }
        // Killed at random moments of unpaused syncs
        for round in 0..<4 {
            server = try ServerProcess(workspace: workspace, port: port)
            let client = round % 2 == 0 ? bob : alice
            // No retries: the server stays down, and this test is about what the kill leaves.
            let sync = try workspace.start("sync-client", ["sync", "--replica", client.replica, "--page-size", "100", "--retries", "0"])
            let delay = Double(random.next() % 400) / 1000
            Thread.sleep(forTimeInterval: delay)
            server.kill()
            _ = sync.wait()
            #expect(try FileCheck.integrity(server.database) == "ok", "random kill after \(delay) s")
        }

        let written = try Self.ownCounters([alice, bob])
        server = try ServerProcess(workspace: workspace, port: port)
        defer { server.stop() }
        for client in [alice, bob, alice] { try client.ok("sync") }
        try Self.expectConverged(server, [alice, bob])
        let onServer = try FileCheck.counters(server.database)
        for (replica, count) in written { #expect(onServer[replica] == count, "the server lost writes of \(replica)") }
    }

    /// Alice's dashboard synced and Bob's written offline, the server stopped: the workspace,
    /// the server's port, both analysts, and the seeded generator for what the test does next.
    static func aliceSyncedBobOffline(seed base: UInt64, name: String, aliceSignals: Int) throws
        -> (workspace: Workspace, port: Int, alice: Client, bob: Client, random: SplitMix64) {
        let seed = testSeeds(count: 1, base: base)[0]
        print("CrashEndToEndTests \(name): seed \(seed) (rerun with SYNC_TEST_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try alice.ok("import", try LoadDashboard.write(in: workspace, signals: aliceSignals, tag: "alice", random: &random))
        try alice.ok("sync")
        try bob.ok("import", try LoadDashboard.write(in: workspace, signals: 60, tag: "bob", random: &random))
        server.stop()
        return (workspace, server.port, alice, bob, random)
    }

    @Test func aSyncWhoseServerRestartsMidwaySendsItsRequestAgainAndFinishes() throws {
        let (workspace, port, alice, bob, _) = try Self.aliceSyncedBobOffline(seed: 0xC4A5_4003, name: "server restart", aliceSignals: 150)
        // Killed after committing Bob's second request but before answering it: the answer is
        // lost, the connection drops, and the server is back on the same port moments later.
        var server = try ServerProcess(workspace: workspace, port: port, extraArguments: ["--test-pause-after-commit-ms", Self.pause])
        let sync = try workspace.start("sync-client", ["sync", "--replica", bob.replica, "--page-size", "80", "--retries", "10"])
        try server.waitForLog("test pause: after-commit", count: 2)
        server.kill()
        server = try ServerProcess(workspace: workspace, port: port)
        defer { server.stop() }
        let result = sync.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("sending the request again"), "\(result.stderr)")
        try alice.ok("sync")
        try Self.expectConverged(server, [alice, bob])
    }

    @Test func aClientKilledMidSyncKeepsASoundFileAndFinishesLater() throws {
        let (workspace, port, alice, bob, afterSetup) = try Self.aliceSyncedBobOffline(seed: 0xC4A5_4002, name: "client kills", aliceSignals: 200)
        var random = afterSetup
        let bobBefore = try Self.ownCounters([bob])

        // Bob's client is killed while the server holds its request (the answer then never
        // arrives), and at random moments while it pulls and applies pages.
        var server = try ServerProcess(workspace: workspace, port: port, extraArguments: ["--test-pause-after-commit-ms", "150"])
        var paused = 0
        for request in [2, 4, 3, 6] {
            let sync = try workspace.start("sync-client", ["sync", "--replica", bob.replica, "--page-size", "80"])
            paused += request
            try server.waitForLog("test pause: after-commit", count: paused)
            sync.kill()
            #expect(sync.wait().status != 0)
            #expect(try FileCheck.integrity(bob.replica) == "ok")
            #expect(try Self.ownCounters([bob]) == bobBefore, "bob's own writes are intact")
        }
        server.stop()
        server = try ServerProcess(workspace: workspace, port: port)
        defer { server.stop() }
        for round in 0..<3 {
            let sync = try workspace.start("sync-client", ["sync", "--replica", bob.replica, "--page-size", "80"])
            let delay = Double(random.next() % 300) / 1000
            Thread.sleep(forTimeInterval: delay)
            sync.kill()
            _ = sync.wait()
            #expect(try FileCheck.integrity(bob.replica) == "ok", "round \(round), killed after \(delay) s")
            _ = try FileCheck.counters(bob.replica)
        }
        // The server kept serving throughout
        try bob.ok("sync")
        try alice.ok("sync")
        try Self.expectConverged(server, [alice, bob])
        #expect(try FileCheck.counters(server.database).filter { bobBefore[$0.key] != nil } == bobBefore)
    }
}
