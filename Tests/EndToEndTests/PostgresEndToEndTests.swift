import Foundation
import Testing
import TestSupport
import ThrowawayPostgres

/// The real binaries on PostgreSQL: several `sync-server` processes on one database, each
/// client syncing through whichever it is given.
@Suite(.serialized, .ownThreads) struct PostgresEndToEndTests {
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

extension PostgresEndToEndTests {
    @Test func aTeamsSQLiteStoreMovesToPostgreSQLAndClientsContinueByCursor() throws {
        let cluster = try PostgresCluster.shared()
        let url = try cluster.makeDatabase()
        let workspace = try Workspace()
        let sqlite = try ServerProcess(workspace: workspace)
        let alice = try Client(workspace: workspace, name: "alice", server: sqlite, token: try sqlite.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: sqlite, token: try sqlite.addAnalyst("bob"))
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("cell", "set", "20", "trajectory", "Holding")
        try bob.ok("cell", "set", "20", "trajectory", "Drifting")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("sync")
        // Need-to-know before the move: cell 30 made in east, cell 31 moved there after bob had it.
        for arguments in [["compartment", "add", "east"], ["clearance", "grant", "alice", "east", "--write"]] {
            let made = try workspace.run("sync-server", arguments + ["--db", sqlite.database])
            #expect(made.status == 0, "\(arguments): \(made.stderr)")
        }
        try alice.ok("sync")
        let sentinel = "EAST-SENTINEL-5d1e"
        try alice.ok("cell", "create", "--number", "30", "--title", sentinel, "--compartment", "east")
        try alice.ok("cell", "create", "--number", "31", "--title", "Moved before the migration")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("cell", "move", "31", "--to", "east")
        #expect(try bob.ok("sync").contains("1 cell was removed from this laptop"))
        try alice.ok("sync")
        // A stick sealed to the SQLite server's key, brought in after the move.
        try alice.ok("cell", "create", "--number", "21", "--title", "Sealed Before The Move")
        let sealed = workspace.path("sealed.fsbundle")
        try alice.ok("bundle", "create", "--output", sealed, "--encrypt-to", "server")
        sqlite.stop()

        let refusedKind = try workspace.run("sync-server", ["migrate", "--from", sqlite.database, "--to", workspace.path("other.sqlite")])
        #expect(refusedKind.status != 0 && refusedKind.stderr.contains("postgres://"))
        let copied = try workspace.run("sync-server", ["migrate", "--from", sqlite.database, "--to", url])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(copied.stdout.contains("Copied 2 analysts, 2 replicas and"), "\(copied.stdout)")
        #expect(copied.stdout.contains("Need-to-know: 2 compartments, 3 clearances and 1 placements copied"), "\(copied.stdout)")
        let again = try workspace.run("sync-server", ["migrate", "--from", sqlite.database, "--to", url])
        #expect(again.status != 0 && again.stderr.contains("already holds data"), "\(again.stderr)")

        let database = String(url.split(separator: "/").last!)
        let keys = try cluster.psql("SELECT count(public_key) FROM replica_owner", database: database)
        #expect(keys.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "both replicas' signing keys were copied")
        let opened = try workspace.run("sync-server", ["bundle", "apply", sealed, "--db", url])
        #expect(opened.status == 0 && opened.stdout.contains("stored 2 new versions"), "the bundle key was copied: \(opened.stdout)\(opened.stderr)")
        // The conflict both replicas reported before the move is still counted: they will not report it again.
        let status = try workspace.run("sync-server", ["status", "--db", url])
        #expect(status.stdout.contains("Conflicts: 1 open, 1 opened in all (as replicas reported them)"), "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("Bundle applies: 1 applied, 0 refused"), "\(status.stdout)")

        let postgres = try ServerProcess(workspace: workspace, database: url)
        defer { postgres.stop() }
        try bob.ok("signal", "add", "--title", "After the move", "--date", "2026-03", "--cell", "20")
        try bob.ok("sync", "--server", postgres.url)
        try alice.ok("sync", "--server", postgres.url)
        #expect(postgres.log.contains("pull=cursor"), "clients pull by the cursors the SQLite server gave them")
        #expect(!postgres.log.contains("cursor refused"), "no cursor was refused after the move")
        let exports = try [alice, bob].map { try $0.ok("export", "--format", "json") }
        #expect(exports[1].contains("After the move") && exports[0].contains("After the move"))
        #expect((try alice.json("conflicts") as? [Any])?.count == 1, "the conflict made before the move is still there")

        // Compartments, clearances and records' compartments came too; cursors of access follow on.
        func admin(_ arguments: String...) throws -> String {
            let result = try workspace.run("sync-server", arguments + ["--db", url])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result.stdout
        }
        #expect(try admin("compartment", "list").contains("east\t2 records"))
        #expect(try admin("clearance", "list", "alice").contains("alice\teast\tread and write"))
        #expect(try alice.ok("cell", "show", "30").contains(sentinel))
        #expect(CompartmentEndToEndTests.filesHold(sentinel, bob.replica).isEmpty, "bob, not cleared for east, never received cell 30")
        #expect(!(try bob.ok("sync", "--server", postgres.url).contains("removed")), "bob's access cursor continued: nothing removed again")
        // A move on PostgreSQL comes after the copied placements in the log, so bob's cursor meets
        // it; the signal he tagged to the cell (by id, recorded on PostgreSQL) goes with it.
        try alice.ok("config", "set", "server", postgres.url)
        try alice.ok("cell", "move", "20", "--to", "east")
        let moved = try bob.ok("sync", "--server", postgres.url)
        #expect(moved.contains("1 cell and 1 signal were removed from this laptop"), "\(moved)")
        _ = try admin("clearance", "grant", "bob", "east")
        let granted = try bob.ok("sync", "--server", postgres.url)
        #expect(granted.contains("Brought the history of records you are newly cleared for"), "\(granted)")
        #expect(try bob.ok("cell", "show", "30").contains(sentinel))
        #expect(try bob.ok("cell", "show", "31").contains("Moved before the migration"))
        #expect(try bob.ok("cell", "show", "20").contains("Burden-Sharing") && bob.ok("export", "--format", "json").contains("After the move"))
    }
}

/// Need-to-know with the real binaries on PostgreSQL, through two instances on one database.
extension PostgresEndToEndTests {
    @Test func aRestrictedCellReachesOnlyTheClearedThroughEitherInstanceAndLeavesARevokedLaptop() throws {
        let url = try PostgresCluster.shared().makeDatabase()
        let workspace = try Workspace()
        let servers = try (0..<2).map { _ in try ServerProcess(workspace: workspace, database: url) }
        defer { for server in servers { server.stop() } }
        func admin(_ arguments: String...) throws -> String {
            let result = try workspace.run("sync-server", arguments + ["--db", url])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result.stdout
        }
        let alice = try servers[0].client("alice")
        let bob = try servers[1].client("bob")
        _ = try admin("compartment", "add", "east")
        _ = try admin("clearance", "grant", "alice", "east", "--write")
        try alice.ok("sync")
        let sentinel = "PG-SENTINEL-3b9d"
        try alice.ok("cell", "create", "--number", "7", "--title", "\(sentinel) title", "--compartment", "east")
        try alice.ok("cell", "set", "7", "assessment", "\(sentinel) first assessment")
        try alice.ok("cell", "create", "--number", "8", "--title", "Open cell")
        try alice.ok("signal", "add", "--title", "Open signal", "--date", "2026-01", "--cell", "8")
        try alice.ok("sync")
        try bob.ok("sync")
        #expect((try bob.json("cell", "list") as? [[String: Any]])?.count == 1, "bob holds only the open cell")
        #expect(CompartmentEndToEndTests.filesHold(sentinel, bob.replica).isEmpty, "no byte of bob's files holds east's text")
        #expect(try admin("compartment", "list").contains("east\t1 record"))

        // A grant brings the cell with its history, through the other instance.
        _ = try admin("clearance", "grant", "bob", "east")
        let granted = try bob.ok("sync", "--server", servers[0].url)
        #expect(granted.contains("Brought the history of records you are newly cleared for"), "\(granted)")
        #expect(try bob.ok("log", "7", "assessment").contains("\(sentinel) first assessment"))
        let refused = try bob.fails("cell", "set", "7", "title", "Bob's title")
        #expect(refused.stderr.contains("compartment 'east', which you are cleared only to read"), "\(refused.stderr)")

        // Moving the open cell to east takes the signal tagged to it along; a revoke takes both
        // cells and the signal from bob's laptop.
        #expect(try alice.ok("cell", "move", "8", "--to", "east").contains("Moved cell 8 to compartment 'east'"))
        _ = try admin("clearance", "revoke", "bob", "east")
        let revoked = try bob.ok("sync")
        #expect(revoked.contains("2 cells and 1 signal were removed from this laptop"), "\(revoked)")
        #expect(CompartmentEndToEndTests.filesHold(sentinel, bob.replica).isEmpty, "east's text left every file of bob's replica")

        // Alice writes offline in east, loses her write clearance, and her write is set aside.
        let unsent = "PG-UNSENT-8a2c"
        try alice.ok("cell", "set", "7", "crosswinds", unsent)
        _ = try admin("clearance", "grant", "alice", "east")
        let readOnly = try alice.ok("sync", "--server", servers[1].url)
        #expect(readOnly.contains("your 1 unsent write in compartment east, which you may now only read, was saved to"), "\(readOnly)")
        try alice.ok("cell", "create", "--number", "9", "--title", "After the set-aside")
        try alice.ok("sync")
        try bob.ok("sync")
        #expect(try bob.ok("cell", "show", "9").contains("After the set-aside"), "alice's later writes pass the set-aside one")
        _ = try admin("clearance", "grant", "bob", "east")
        try bob.ok("sync")
        #expect(!(try bob.ok("cell", "show", "7").contains(unsent)), "the set-aside write never reached the server")
    }
}

/// Faults of a team server on PostgreSQL, each on a cluster of its own or with instances of
/// its own: nothing lost, nothing doubled.
extension PostgresEndToEndTests {
    /// Every version on the database once, at its own place in the feed: `expected` versions,
    /// feed positions 1 to `expected` without a gap, and the head at the last.
    static func expectEachVersionOnce(_ cluster: PostgresCluster, url: String, expected: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let database = String(url.split(separator: "/").last!)
        let counts = try cluster.psql("""
            SELECT count(*) || ' ' || count(DISTINCT seq) || ' ' || coalesce(max(seq), 0) || ' ' || (SELECT seq FROM feed_head) FROM version
            """, database: database)
        #expect(counts.trimmingCharacters(in: .whitespacesAndNewlines) == "\(expected) \(expected) \(expected) \(expected)",
                "versions, distinct feed positions, the last position, the head", sourceLocation: sourceLocation)
    }

    @Test func aDatabaseRestartMidSyncIsRetriedAndNothingIsLostOrDoubled() throws {
        let seed = testSeeds(count: 1, base: 0x9E57_A127)[0]
        print("PostgresEndToEndTests restart: seed \(seed) (rerun with SYNC_TEST_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let cluster = try PostgresCluster.start(durable: false)
        let url = try cluster.makeDatabase()
        let workspace = try Workspace()
        // Each answer waits a little after its commit, so the restart lands mid-sync.
        let server = try ServerProcess(workspace: workspace, database: url, extraArguments: ["--test-pause-after-commit-ms", "100"])
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try alice.ok("import", try LoadDashboard.write(in: workspace, signals: 120, tag: "alice", random: &random))
        let written = try FileCheck.counters(alice.replica).values.reduce(0, +)
        let sync = try workspace.start("sync-client", ["sync", "--page-size", "25", "--replica", alice.replica])
        try server.waitForLog("pull=", count: 3)
        try cluster.restart()
        let result = sync.wait()
        #expect(result.status == 0, "the sync should ride out the restart: \(result.stderr)\nthe server's log ends:\n\(server.log.suffix(3000))")
        try bob.ok("sync")
        try alice.ok("sync")
        #expect(try alice.ok("export") == bob.ok("export"))
        try Self.expectEachVersionOnce(cluster, url: url, expected: written)
    }

    @Test func anInstanceKilledInTheMiddleOfPushesLosesNothing() throws {
        let seed = testSeeds(count: 1, base: 0x4B11_1ED0)[0]
        print("PostgresEndToEndTests kill: seed \(seed) (rerun with SYNC_TEST_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let cluster = try PostgresCluster.shared()
        let url = try cluster.makeDatabase()
        let workspace = try Workspace()
        let doomed = try ServerProcess(workspace: workspace, database: url, extraArguments: ["--test-pause-before-commit-ms", "100"])
        let survivor = try ServerProcess(workspace: workspace, database: url)
        defer { survivor.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: doomed, token: try survivor.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: survivor, token: try survivor.addAnalyst("bob"))
        try alice.ok("import", try LoadDashboard.write(in: workspace, signals: 120, tag: "alice", random: &random))
        let written = try FileCheck.counters(alice.replica).values.reduce(0, +)
        let sync = try workspace.start("sync-client", ["sync", "--page-size", "25", "--retries", "0", "--replica", alice.replica])
        // Killed while a push's transaction is open: it rolls back.
        try doomed.waitForLog("test pause: before-commit", count: 4)
        doomed.kill()
        #expect(sync.wait().status != 0, "the sync through the killed instance fails")
        try alice.ok("sync", "--server", survivor.url)
        try bob.ok("sync")
        #expect(try alice.ok("export") == bob.ok("export"))
        try Self.expectEachVersionOnce(cluster, url: url, expected: written)
    }
}
