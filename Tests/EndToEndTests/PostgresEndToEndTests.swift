import Foundation
import Testing
import TestSupport

/// The real binaries on PostgreSQL: several `sync-server` processes on one database, each
/// client syncing through whichever it is given.
@Suite(.serialized) struct PostgresEndToEndTests {
    @Test func threeInstancesOnOneDatabaseServeOneTeamAndOneLosesNothingWhenKilled() throws {
        let cluster = try PostgresCluster.shared()
        // A password in the URL (the test cluster trusts loopback and ignores it): it must
        // never reach a log or an answer.
        let url = try cluster.makeDatabase().replacingOccurrences(of: "fieldsync@", with: "fieldsync:hunter2secret@")
        let workspace = try Workspace()
        let servers = try (0..<3).map { _ in try ServerProcess(workspace: workspace, database: url) }
        defer { for server in servers { server.stop() } }
        let alice = try Client(workspace: workspace, name: "alice", server: servers[0], token: try servers[0].addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: servers[1], token: try servers[1].addAnalyst("bob"))
        let carol = try Client(workspace: workspace, name: "carol", server: servers[2], token: try servers[2].addAnalyst("carol"))

        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing", "--field", "trajectory=Advancing")
        try alice.ok("signal", "add", "--title", "Hague Commitment", "--date", "2025-06", "--cell", "20", "--direction", "Advancing")
        try alice.ok("sync")
        try bob.ok("sync")
        // Offline on both sides: different fields merge, the same register conflicts.
        try alice.ok("cell", "set", "20", "tier", "Tier 3")
        try bob.ok("cell", "set", "20", "trend", "Improving")
        try alice.ok("cell", "set", "20", "trajectory", "Holding")
        try bob.ok("cell", "set", "20", "trajectory", "Drifting")
        try alice.ok("sync")
        #expect(try bob.ok("sync").contains("new conflicts 1"))
        try alice.ok("sync")
        try carol.ok("sync")
        let conflictIDs = try [alice, bob, carol].map { client in
            try #require(try client.json("conflicts") as? [[String: Any]]).compactMap { $0["id"] as? String }
        }
        #expect(conflictIDs[0].count == 1 && Set(conflictIDs.map { $0 }).count == 1, "\(conflictIDs)")
        let exports = try [alice, bob, carol].map { try $0.ok("export", "--format", "json") }
        #expect(Set(exports).count == 1, "every replica holds the same dashboard")

        // Bob's instance dies; he syncs through another and nothing he wrote is lost.
        servers[1].kill()
        try bob.ok("signal", "add", "--title", "Board of Peace", "--date", "2026-02-18", "--cell", "20")
        try bob.ok("sync", "--server", servers[2].url)
        try alice.ok("sync")
        let signals = try #require(try alice.json("signal", "list") as? [[String: Any]])
        #expect(signals.compactMap { ($0["fields"] as? [String: Any])?["title"] as? String }.sorted() == ["Board of Peace", "Hague Commitment"])
        for server in [servers[0], servers[2]] {
            #expect(!server.log.contains("hunter2secret"), "the database password reached a log")
            #expect(server.log.contains("sync"), "the instance served syncs")
        }
    }
}
