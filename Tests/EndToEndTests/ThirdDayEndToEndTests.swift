import Foundation
import Testing
import TestSupport

/// The third day with the tools, as a new user tries them: paths, labels, pipes, long bodies,
/// history before it began, and the server's administration.
@Suite(.serialized, .ownThreads) struct ThirdDayEndToEndTests {
    @Test func initIntoAMissingFolderIsRefusedAndMakesNothing() throws {
        let workspace = try Workspace()
        let path = workspace.path("nonexistent/dir/x.sqlite")
        let result = try workspace.run("sync-client", ["init", "--replica", path, "--server", "http://127.0.0.1:9", "--token", "alice.abcdefghijklmnopqrstuvwxyz"])
        #expect(result.status != 0 && result.stderr.contains("the folder \(workspace.path("nonexistent/dir")) does not exist; create it first"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("nonexistent")))
        // The default replica's own folder is still made for it
        let home = workspace.path("home")
        let made = try workspace.run("sync-client", ["init", "--server", "http://127.0.0.1:9", "--token", "alice.abcdefghijklmnopqrstuvwxyz"],
                                     environment: ["XDG_DATA_HOME": home, "SYNC_REPLICA": ""])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(FileManager.default.fileExists(atPath: workspace.path("home/field-sync/replica.sqlite")))
    }

    @Test func aHandEditedExportImportsOnceAndAnEmptyReplicaTakesIt() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing", "--field", "trend=Steady")
        let page = workspace.path("page.md")
        try alice.ok("export", "--format", "markdown", "--output", page)
        let edited = try String(contentsOfFile: page, encoding: .utf8).replacingOccurrences(of: "Steady", with: "Faster")
        try edited.write(toFile: page, atomically: true, encoding: .utf8)
        #expect(try alice.ok("import", page).contains("1 field writes"))
        #expect(try alice.ok("import", page).contains("0 created or changed, 0 field writes"))
        #expect(try alice.ok("import", page).contains("0 field writes"))
        #expect(try alice.json("conflicts") as? [Any] == nil || (try alice.json("conflicts") as? [Any])?.isEmpty == true)
        // A replica that never synced takes the page as its own edits, offline
        let carol = try Client(workspace: workspace, name: "carol", server: server, token: try server.addAnalyst("carol"))
        let taken = try workspace.run("sync-client", ["import", page, "--replica", carol.replica])
        #expect(taken.status == 0 && taken.stderr.contains("written as this replica's own edits"), "\(taken.stderr)")
        #expect(((try carol.json("cell", "show", "20") as? [String: Any])?["fields"] as? [String: Any])?["trend"] as? String == "Faster")
    }

    @Test func labelsTakeAnyCaseAndAMistypedFieldGetsASuggestion() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        try alice.ok("cell", "create", "--number", "18", "--title", "Arctic")
        try alice.ok("cell", "set", "18", "trajectory", "holding")
        #expect((try alice.json("cell", "show", "18") as? [String: Any]).flatMap { ($0["fields"] as? [String: Any])?["trajectory"] as? String } == "Holding")
        let typo = try alice.fails("cell", "set", "18", "trajectroy", "Holding")
        #expect(typo.stderr.contains("a cell has no field 'trajectroy'. Did you mean 'trajectory'?"), "\(typo.stderr)")
    }

    @Test func aSignalsBodyComesFromAFileOrStandardInput() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        // Over the 128 KiB a single command-line argument may hold on Linux
        let body = (0..<4000).map { "Line \($0) of a long communiqué." }.joined(separator: "\n")
        try body.write(toFile: workspace.path("body.txt"), atomically: true, encoding: .utf8)
        let fromFile = try alice.ok("signal", "add", "--title", "Communiqué", "--date", "2026-03", "--body-file", workspace.path("body.txt"))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = try #require(try alice.json("signal", "show", fromFile) as? [String: Any])
        #expect((shown["fields"] as? [String: Any])?["body"] as? String == body)
        let client = try Binaries.path("sync-client")
        let piped = try workspace.run("/bin/sh", ["-c", "'\(client)' signal add --title Piped --date 2026-03 --body-file - --replica '\(alice.replica)' < '\(workspace.path("body.txt"))'"])
        #expect(piped.status == 0, "\(piped.stderr)")
        let id = piped.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(((try alice.json("signal", "show", id) as? [String: Any])?["fields"] as? [String: Any])?["body"] as? String == body)
        #expect(try alice.fails("signal", "add", "--title", "Both", "--date", "2026", "--body", "x", "--body-file", "-").stderr.contains("not both"))
    }

    @Test func readingCommandsSpeakToAPipeAndToHistoryBeforeItBegan() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        let title = "Burden-Sharing & Alliance Architecture Under Sustained Fiscal Pressure Across the Region"
        try alice.ok("cell", "create", "--number", "20", "--title", title, "--field", "trajectory=Advancing")
        // Not a terminal, no $COLUMNS: the table is as wide as its lines
        let piped = try workspace.run("sync-client", ["dashboard", "--replica", alice.replica], environment: ["COLUMNS": ""])
        #expect(piped.stdout.contains(title), "\(piped.stdout)")
        let before = try alice.ok("dashboard", "--as-of", "2020-02")
        #expect(before.hasPrefix("Nothing existed on this replica at 2020-02: its history starts "), "\(before)")
        try alice.ok("cell", "set", "20", "trajectory", "Holding")
        let diff = try #require(try alice.json("diff", "20") as? [String: Any])
        let changes = try #require(diff["changes"] as? [[String: Any]])
        #expect(changes.contains { $0["field"] as? String == "trajectory" && $0["old"] is NSNull && $0["new"] as? String == "Holding" })
        #expect(diff["kind"] as? String == "cell" && diff["deletion"] is NSNull)
        try alice.ok("sync")
        let status = try alice.ok("status")
        #expect(status.contains("UTC, just now with \(server.url)"), "\(status)")
    }

    @Test func aRevokedOrExistingAnalystGetsAdviceThatWorks() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        _ = try server.addAnalyst("dave")
        let again = try workspace.run("sync-server", ["analyst", "add", "dave", "--db", server.database])
        #expect(again.status != 0 && again.stderr.contains("run `sync-server analyst token dave`"), "\(again.stderr)")
        try workspace.run("sync-server", ["analyst", "revoke", "dave", "--db", server.database])
        let revoked = try workspace.run("sync-server", ["analyst", "add", "dave", "--db", server.database])
        #expect(revoked.status != 0 && revoked.stderr.contains("run `sync-server analyst reinstate dave`"), "\(revoked.stderr)")
        #expect(try workspace.run("sync-server", ["analyst", "reinstate", "dave", "--db", server.database]).status == 0)
    }

    @Test func migrateRefusesAFileAServerIsServing() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        let refused = try workspace.run("sync-server", ["migrate", "--from", server.database, "--to", "postgres://nobody@127.0.0.1:9/none"])
        #expect(refused.status != 0 && refused.stderr.contains("a sync-server is serving \(server.database); stop it first"), "\(refused.stderr)")
        server.stop()
        let stopped = try workspace.run("sync-server", ["migrate", "--from", server.database, "--to", "postgres://nobody@127.0.0.1:9/none"])
        #expect(!stopped.stderr.contains("is serving"), "once stopped, the copy goes on (here to a database that is not there): \(stopped.stderr)")
    }

    @Test func theServersFilesAreAllPrivate() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        try alice.ok("sync")
        for suffix in ["", "-wal", "-shm"] {
            let mode = try FileManager.default.attributesOfItem(atPath: server.database + suffix)[.posixPermissions] as? Int
            #expect(mode == 0o600, "server.sqlite\(suffix) has mode \(String(mode ?? 0, radix: 8))")
        }
    }
}
