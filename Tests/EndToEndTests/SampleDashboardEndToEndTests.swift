import Foundation
import Testing
import TestSupport

@Suite(.serialized, .ownThreads) struct SampleDashboardEndToEndTests {
    static let samplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/sample-dashboard.json").path

    @Test func theSampleDashboardLoadsOnOneReplicaAndSyncsToAnother() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        #expect(try alice.ok("import", Self.samplePath).contains("37 records read"))
        try alice.ok("sync")
        try bob.ok("sync")
        let dashboards = try [alice, bob].map { try $0.ok("dashboard", "--json") }
        #expect(dashboards[0] == dashboards[1])
        let rows = try #require(try bob.json("dashboard") as? [[String: Any]])
        #expect(rows.count == 5)
        // Bob's export names the state it was read at: a replica with writes of its own is told
        // to sync first (or to take the file as its own edits), and once synced the file writes
        // nothing (the same state, byte for byte)
        try bob.ok("export", "--output", workspace.path("bob.json"))
        let dave = try Client(workspace: workspace, name: "dave", server: server, token: try server.addAnalyst("dave"))
        try dave.ok("cell", "create", "--number", "99", "--title", "Dave's own")
        let early = try dave.fails("import", workspace.path("bob.json"))
        #expect(early.stderr.contains("exported from a state this replica does not hold yet (292 versions from 1 replica it lacks); run `sync-client sync`"), "\(early.stderr)")
        #expect(early.stderr.contains("import with --as-own-edits"), "\(early.stderr)")
        let carol = try Client(workspace: workspace, name: "carol", server: server, token: try server.addAnalyst("carol"))
        try carol.ok("sync")
        #expect(try carol.ok("import", workspace.path("bob.json")).contains("37 records read, 0 created or changed, 0 field writes"))
        #expect(try carol.ok("export") == (try String(contentsOfFile: workspace.path("bob.json"), encoding: .utf8)))
    }
}
