import Foundation
import Testing
import TestSupport

/// SIGTERM while ten clients push at once: the requests in flight finish and commit, the server
/// exits 0 within a bound, and every client's writes reach the server once it is back.
@Suite(.serialized, .ownThreads) struct DrainEndToEndTests {
    @Test func sigtermUnderTenConcurrentPushesDrainsThemAndLosesNothing() throws {
        let seed = testSeeds(count: 1, base: 0xD4A1_0001)[0]
        print("DrainEndToEndTests: seed \(seed) (rerun with SYNC_TEST_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let workspace = try Workspace()
        // Each request held 300 ms before its commit, so ten are in flight when SIGTERM arrives.
        var server = try ServerProcess(workspace: workspace, extraArguments: ["--test-pause-before-commit-ms", "300"])
        let port = server.port
        let clients = try (0..<10).map { try server.client("analyst\($0)") }
        for (index, client) in clients.enumerated() {
            try client.ok("import", try LoadDashboard.write(in: workspace, signals: 15, tag: "drain-\(index)", random: &random))
        }
        let syncs = try clients.map { try workspace.start("sync-client", ["sync", "--replica", $0.replica, "--page-size", "20", "--retries", "0"]) }
        try server.waitForLog("test pause: before-commit", count: 15)
        let signalled = ContinuousClock.now
        server.process.terminate()
        server.process.waitUntilExit()
        let drain = ContinuousClock.now - signalled
        print("DrainEndToEndTests: the server drained and exited \(drain) after SIGTERM")
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0, "SIGTERM is a clean exit")
        #expect(drain < .seconds(10), "drained in \(drain)")
        #expect(server.log.contains("sync-server stopped; every sync it accepted is committed"))
        for sync in syncs { _ = sync.wait() }
        #expect(try FileCheck.integrity(server.database) == "ok")
        _ = try FileCheck.counters(server.database)

        // Back up: every client finishes, and the server holds every version each one wrote.
        let written = try CrashEndToEndTests.ownCounters(clients)
        server = try ServerProcess(workspace: workspace, port: port)
        defer { server.stop() }
        for client in clients + clients { try client.ok("sync") }
        let onServer = try FileCheck.counters(server.database)
        for (replica, count) in written { #expect(onServer[replica] == count, "the server lacks writes of \(replica)") }
        try CrashEndToEndTests.expectConverged(server, clients)
    }
}
