import Foundation
import Testing
import TestSupport

/// The second day with the tools: settings that change, analysts who come back, paths that are
/// mistyped, servers that are down.
@Suite(.serialized, .ownThreads) struct SecondDayEndToEndTests {
    @Test func aRevokedAnalystComesBackAndANewTokenIsSavedOnTheReplica() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let carol = try Client(workspace: workspace, name: "carol", server: server, token: try server.addAnalyst("carol"))
        try carol.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try carol.ok("sync")
        let revoked = try workspace.run("sync-server", ["analyst", "revoke", "carol", "--db", server.database])
        #expect(revoked.stdout.contains("Undo with `sync-server analyst reinstate carol`"))
        try carol.ok("cell", "set", "20", "trend", "Written while revoked")
        #expect(try carol.fails("sync").status != 0)
        let added = try workspace.run("sync-server", ["analyst", "add", "carol", "--db", server.database])
        #expect(added.status != 0 && added.stderr.contains("run `sync-server analyst reinstate carol`"), "\(added.stderr)")
        #expect(try workspace.run("sync-server", ["analyst", "reinstate", "carol", "--db", server.database]).stdout.contains("Reinstated analyst 'carol'"))
        #expect(try carol.ok("sync").contains("sent 1"), "the write made while revoked goes through")

        // A new token: the old one stops at once, the replica saves the new one
        let token = try workspace.run("sync-server", ["analyst", "token", "carol", "--db", server.database])
        let newToken = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.status == 0 && newToken.hasPrefix("carol.") && token.stderr.contains("the old one no longer syncs"))
        let stale = try carol.fails("sync")
        #expect(stale.stderr.contains("token"), "the old token is refused: \(stale.stderr)")
        let other = try carol.fails("config", "set", "token", try server.addAnalyst("dave"))
        #expect(other.stderr.contains("this replica writes as 'carol'"), "\(other.stderr)")
        try carol.ok("config", "set", "token", newToken)
        try carol.ok("sync")
        let shown = try carol.ok("config", "show")
        #expect(!shown.contains(newToken))

        // The server and CA file can change too; a URL that is not one is refused
        #expect(try carol.fails("config", "set", "server", "sync.example.org").stderr.contains("is not a server URL: add http:// or https:// in front, like http://sync.example.org"))
        #expect(try carol.fails("config", "set", "ca-file", workspace.path("missing.pem")).stderr.contains("cannot read the CA file"))
        try "not checked until a sync uses it".write(toFile: workspace.path("team-ca.pem"), atomically: true, encoding: .utf8)
        try carol.ok("config", "set", "ca-file", workspace.path("team-ca.pem"))
        #expect((try carol.json("config", "show") as? [String: Any])?["caFile"] as? String == workspace.path("team-ca.pem"))
        try carol.ok("config", "set", "ca-file", "")
        #expect((try carol.json("config", "show") as? [String: Any])?["caFile"] as? String == "")
        try carol.ok("config", "set", "server", "http://127.0.0.1:9")
        let config = try #require(try carol.json("config", "show") as? [String: Any])
        #expect(config["server"] as? String == "http://127.0.0.1:9")
    }

    @Test func configShowNamesWhereTheReplicaPathCameFrom() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        func source(_ arguments: [String], _ environment: [String: String] = [:]) throws -> String? {
            let result = try workspace.run("sync-client", arguments, environment: environment)
            return result.stdout.split(separator: "\n").first { $0.hasPrefix("replica file") }?.split(separator: " ").last.map(String.init)
        }
        #expect(try source(["--replica", alice.replica, "config", "show"]) == "flag", "--replica before the subcommand")
        #expect(try source(["config", "show", "--replica", alice.replica]) == "flag")
        #expect(try source(["config", "show"], ["SYNC_REPLICA": alice.replica]) == "environment")
    }

    @Test func aMistypedDatabaseIsRefusedAndNothingIsMade() throws {
        let workspace = try Workspace()
        let typo = workspace.path("servr.sqlite")
        let listed = try workspace.run("sync-server", ["analyst", "list", "--db", typo])
        #expect(listed.status != 0 && listed.stderr.contains("no such file; check the path"), "\(listed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: typo))
        let nested = workspace.path("nonexistent/dir/s.sqlite")
        let served = try workspace.run("sync-server", ["serve", "--db", nested, "--port", "0"])
        #expect(served.status != 0 && served.stderr.contains("--create"), "\(served.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("nonexistent")))
        // serve on the embedded default (no --db, no $SYNC_SERVER_DB) makes it, in the working folder
        let serving = try workspace.start("sync-server", ["--port", "0"], environment: ["SYNC_SERVER_DB": ""])
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: workspace.path("sync-server.sqlite")) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        serving.kill(SIGTERM)
        #expect(FileManager.default.fileExists(atPath: workspace.path("sync-server.sqlite")))
        // With --create, a new database is made on purpose
        let created = try workspace.run("sync-server", ["analyst", "add", "alice", "--db", typo, "--create"])
        #expect(created.status == 0 && FileManager.default.fileExists(atPath: typo))
    }

    @Test func aStoppedServerIsReportedAsRefused() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        server.stop()
        let result = try alice.fails("sync", "--connect-timeout", "30")
        #expect(result.stderr.contains("(connection refused)"), "\(result.stderr)")
    }

    @Test func internalErrorsReachPeopleAsSentences() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        // A port already in use
        let second = try workspace.run("sync-server", ["--db", server.database, "--port", String(server.port)])
        #expect(second.status != 0 && second.stderr.contains("port \(server.port) on 127.0.0.1 is already in use"), "\(second.stderr)")
        #expect(!second.stderr.contains("errno"))
        // https:// against a plain HTTP server
        let https = try alice.fails("sync", "--server", server.url.replacingOccurrences(of: "http://", with: "https://"))
        #expect(https.stderr.contains("it seems to serve plain HTTP, so use http:// instead of https://"), "\(https.stderr)")
        #expect(!https.stderr.contains("BoringSSL") && !https.stderr.contains(".build"))
    }

    @Test func theServerLogsRefusedTokensWithoutThemAndItsShutdown() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        let token = try server.addAnalyst("alice")
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: token)
        try workspace.run("sync-server", ["analyst", "token", "alice", "--db", server.database])
        _ = try alice.fails("sync")
        try server.waitForLog("sync refused")
        #expect(server.log.contains("status=401") && server.log.contains("analyst=alice"), "\(server.log)")
        let secret = String(token.split(separator: ".").last!)
        #expect(!server.log.contains(secret) && !server.log.contains(String(secret.prefix(12))))
        server.stop()
        #expect(server.log.contains("sync-server stopped; every sync it accepted is committed"), "\(server.log)")
    }

    @Test func helpListsFieldsSuggestsCommandsAndBothToolsHaveAVersion() throws {
        let workspace = try Workspace()
        for tool in ["sync-client", "sync-server"] {
            let version = try workspace.run(tool, ["--version"])
            #expect(version.status == 0 && version.stdout.contains("sync protocol 2"), "\(tool): \(version.stdout)\(version.stderr)")
        }
        let help = try workspace.run("sync-client", ["cell", "set", "--help"])
        #expect(help.stdout.contains("trajectory        one of Advancing, Holding, Drifting, Reversing"), "\(help.stdout)")
        #expect(help.stdout.contains("relatedCells      a set of cell numbers"))
        let usage = try #require(help.stdout.range(of: "USAGE:")), examples = try #require(help.stdout.range(of: "EXAMPLES:"))
        #expect(usage.lowerBound < examples.lowerBound, "examples come after the usage")
        let narrow = try workspace.run("sync-client", ["export", "--help"], environment: ["COLUMNS": "60"])
        #expect(narrow.stdout.contains("\n  sync-client export --format markdown --output dashboard.md\n"), "each example whole on its line: \(narrow.stdout)")
        let typo = try workspace.run("sync-client", ["cel", "list"])
        #expect(typo.status != 0 && typo.stderr.contains("Did you mean 'cell'?"), "\(typo.stderr)")
        let server = try workspace.run("sync-server", ["analyst", "ad", "carol"])
        #expect(server.stderr.contains("Did you mean 'add'?"), "\(server.stderr)")
        let serverHelp = try workspace.run("sync-server", ["--help"])
        #expect(serverHelp.stdout.range(of: "EXAMPLES:").map { $0.lowerBound > serverHelp.stdout.range(of: "USAGE:")!.lowerBound } == true)
        let nested = try workspace.run("sync-client", ["cell", "lst"])
        #expect(nested.stderr.contains("Did you mean 'list'?"), "\(nested.stderr)")
        let missing = try workspace.run("sync-client", ["cell", "set", "16", "trajectory"])
        #expect(missing.status != 0 && missing.stderr.contains("give the new VALUE after the field name"), "\(missing.stderr)")
        #expect(missing.stderr.contains("Usage: sync-client cell set"), "the usage of the command given, not of sync-client")
        let negative = try workspace.run("sync-client", ["cell", "show", "-1"])
        #expect(negative.status != 0 && negative.stderr.contains("'-1' is read as an option"), "\(negative.stderr)")
    }
}
