import Foundation
import Testing
import TestSupport

/// A replica file copied to a second laptop: the server refuses the second history, `rekey`
/// moves its unsynced writes to a fresh id, and after syncing both histories are everywhere.
@Suite(.serialized, .ownThreads) struct ForkedReplicaEndToEndTests {
    @Test func aCopiedReplicaIsRefusedThenRekeyedAndNothingIsLost() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let token = try server.addAnalyst("alice")
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: token)
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("sync")
        // The file is copied to a second laptop; both go on working under one replica id
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: alice.replica + suffix) {
            try FileManager.default.copyItem(atPath: alice.replica + suffix, toPath: workspace.path("laptop2.sqlite") + suffix)
        }
        let laptop2 = Client(workspace: workspace, replica: workspace.path("laptop2.sqlite"))
        try alice.ok("cell", "set", "20", "trajectory", "Advancing")
        try alice.ok("cell", "set", "20", "trend", "Steady")
        try laptop2.ok("cell", "set", "20", "trajectory", "Holding")
        try laptop2.ok("signal", "add", "--date", "2026-05-01", "--title", "Written on the second laptop", "--cell", "20")
        try alice.ok("sync")
        let before = try Data(contentsOf: URL(fileURLWithPath: server.database))
        let refused = try laptop2.fails("sync")
        #expect(refused.stderr.contains("sync-client rekey"), "the error names the way out: \(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: server.database)) == before, "the refused sync changed the server")

        let pending = try #require((try laptop2.json("status") as? [String: Any])?["pending"] as? Int)
        #expect(pending >= 4, "the trajectory and the signal's fields")
        let rekey = try #require(try laptop2.json("rekey") as? [String: Any])
        #expect(rekey["moved"] as? Int == pending)
        #expect(rekey["previousReplica"] as? String != rekey["replica"] as? String)
        #expect(FileManager.default.fileExists(atPath: try #require(rekey["backup"] as? String)))
        try laptop2.ok("sync")
        try alice.ok("sync")
        // Both histories are on both laptops; the trajectory both changed is a conflict
        #expect(try alice.ok("export") == (try laptop2.ok("export")))
        let conflicts = try #require(try alice.json("conflicts") as? [[String: Any]])
        #expect(conflicts.count == 1 && conflicts.first?["field"] as? String == "trajectory")
        let cell = try alice.ok("cell", "show", "20")
        #expect(cell.contains("Steady"))
        #expect(try alice.ok("signal", "list").contains("Written on the second laptop"))
        // Resolved through `conflicts resolve`, the other path to `resolve` (ProseEndToEndTests use that one)
        try alice.ok("conflicts", "resolve", try #require(conflicts.first?["id"] as? String), "--theirs")
        try alice.ok("sync")
        try laptop2.ok("sync")
        #expect(try laptop2.ok("conflicts").contains("No open conflicts"))
        // The server logged every sync and the refusal, and never the token
        #expect(server.log.contains("sync refused"))
        #expect(!server.log.contains(token) && !server.log.contains(String(token.split(separator: ".")[1])))
    }
}
