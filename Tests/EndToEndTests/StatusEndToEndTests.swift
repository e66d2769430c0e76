import Foundation
import Testing
import TestSupport
import ThrowawayPostgres

/// `sync-server status` and `analyst list` with the real binaries: who synced, when, and how far
/// behind each replica is.
@Suite(.serialized, .ownThreads) struct StatusEndToEndTests {
    @Test func statusShowsTheFeedHeadEachReplicasLagAndTheLastBackup() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        _ = try server.addAnalyst("carol")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("sync")
        try bob.ok("sync")
        // Alice writes three more versions after Bob's sync: Bob is three behind.
        try alice.ok("cell", "set", "20", "trajectory", "Holding")
        try alice.ok("cell", "set", "20", "trajectory", "Drifting")
        try alice.ok("cell", "set", "20", "title", "Burden-Sharing & Alliance Architecture")
        try alice.ok("sync")

        let before = try workspace.run("sync-server", ["status", "--db", server.database])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout.contains("Last backup: never"), "\(before.stdout)")
        let backup = try workspace.run("sync-server", ["backup", "--db", server.database, "--to", workspace.path("backup.sqlite")])
        #expect(backup.status == 0, "\(backup.stderr)")

        let status = try workspace.run("sync-server", ["status", "--db", server.database])
        #expect(status.status == 0, "\(status.stderr)")
        let lines = status.stdout.split(separator: "\n").map(String.init)
        let head = try #require(lines.first { $0.hasPrefix("Feed head: position ") }, "\(status.stdout)")
        let position = try #require(Int(head.dropFirst("Feed head: position ".count)))
        #expect(position >= 4)
        #expect(lines.contains { $0.hasPrefix("Database: \(server.database), ") && ($0.hasSuffix("KiB") || $0.hasSuffix("MiB")) }, "\(status.stdout)")
        #expect(lines.contains { $0.hasPrefix("Last backup: ") && $0.hasSuffix(workspace.path("backup.sqlite")) && $0.contains("(just now)") }, "\(status.stdout)")
        #expect(lines.contains("Analysts: 3, replicas: 2"), "\(status.stdout)")
        #expect(lines.contains("  alice (active, 1 replica)") && lines.contains("  carol (active, 0 replicas)"), "\(status.stdout)")
        let aliceID = try #require(try alice.json("status") as? [String: Any])["replica"] as? String
        let bobID = try #require(try bob.json("status") as? [String: Any])["replica"] as? String
        #expect(lines.contains { $0.hasPrefix("    \(aliceID ?? "?")  last sync ") && $0.hasSuffix("(just now), lag 0 versions") }, "\(status.stdout)")
        #expect(lines.contains { $0.hasPrefix("    \(bobID ?? "?")  last sync ") && $0.hasSuffix("(just now), lag 3 versions") }, "\(status.stdout)")

        let list = try workspace.run("sync-server", ["analyst", "list", "--db", server.database])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("alice\tactive\t1 replica\tlast sync "), "\(list.stdout)")
        #expect(list.stdout.contains("carol\tactive\t0 replicas\tnever synced"), "\(list.stdout)")
    }

    @Test func statusReadsAPostgreSQLDatabaseToo() throws {
        let url = try PostgresCluster.shared().makeDatabase()
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace, database: url)
        defer { server.stop() }
        let alice = try server.client("alice")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("sync")
        let status = try workspace.run("sync-server", ["status", "--db", url])
        #expect(status.status == 0, "\(status.stderr)")
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("Database: \(url), ") && $0.hasSuffix("MiB") }, "\(status.stdout)")
        #expect(lines.contains("Last backup: not recorded here (PostgreSQL: see pg_dump in docs/server.md)"), "\(status.stdout)")
        #expect(lines.contains("Conflicts: 0 open, 0 opened in all (as replicas reported them)"), "\(status.stdout)")
        #expect(lines.contains("Bundle applies: 0 applied, 0 refused"), "\(status.stdout)")
        #expect(lines.contains("  alice (active, 1 replica)"), "\(status.stdout)")
        #expect(lines.contains { $0.hasSuffix("(just now), lag 0 versions") }, "\(status.stdout)")
        let head = try #require(lines.first { $0.hasPrefix("Feed head: position ") })
        #expect(Int(head.dropFirst("Feed head: position ".count)) ?? 0 >= 2, "\(status.stdout)")
    }
}
