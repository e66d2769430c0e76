import Foundation
import Testing
import TestSupport

/// The real binaries: a `sync-server` process on 127.0.0.1 and `sync-client` processes on
/// separate replica files.
@Suite(.serialized, .ownThreads) struct SyncEndToEndTests {
    @Test func editsOfDifferentFieldsOnTwoOfflineReplicasBothSurvive() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))

        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing & Alliance Architecture", "--field", "trajectory=Advancing")
        try alice.ok("sync")
        try bob.ok("sync")
        // Offline: alice edits the trend, bob the tier
        try alice.ok("cell", "set", "20", "trend", "Improving with execution-tempo variation")
        try bob.ok("cell", "set", "20", "tier", "Tier 3 — Multi-Theater Projection")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("sync")

        for client in [alice, bob] {
            let cell = try #require(try client.json("cell", "show", "20") as? [String: Any])
            let fields = try #require(cell["fields"] as? [String: Any])
            #expect(fields["trend"] as? String == "Improving with execution-tempo variation")
            #expect(fields["tier"] as? String == "Tier 3 — Multi-Theater Projection")
            #expect(fields["trajectory"] as? String == "Advancing")
            #expect((try client.json("conflicts") as? [Any])?.isEmpty == true)
        }
    }

    @Test func concurrentRegisterEditsConflictAreResolvedOnceAndConvergeEverywhere() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        let carol = try Client(workspace: workspace, name: "carol", server: server, token: try server.addAnalyst("carol"))

        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing", "--field", "trajectory=Advancing")
        try alice.ok("signal", "add", "--title", "Hague Commitment", "--date", "2025-06", "--cell", "20", "--cell", "17", "--direction", "Advancing")
        try alice.ok("sync")
        try bob.ok("sync")
        try bob.ok("signal", "add", "--title", "Board of Peace first meeting", "--date", "2026-02-18", "--cell", "20", "--source", "White House")
        // The same register, offline on both sides
        try alice.ok("cell", "set", "20", "trajectory", "Holding")
        try bob.ok("cell", "set", "20", "trajectory", "Drifting")
        try alice.ok("sync")
        let bobSync = try bob.ok("sync")
        #expect(bobSync.contains("new conflicts 1"))
        try alice.ok("sync")

        // One conflict, with the same id on both replicas
        let aliceConflicts = try #require(try alice.json("conflicts") as? [[String: Any]])
        let bobConflicts = try #require(try bob.json("conflicts") as? [[String: Any]])
        #expect(aliceConflicts.count == 1 && bobConflicts.count == 1)
        let id = try #require(aliceConflicts.first?["id"] as? String)
        #expect(bobConflicts.first?["id"] as? String == id)
        #expect(aliceConflicts.first?["field"] as? String == "trajectory")

        // Shown with both values and their authors
        let shown = try alice.ok("conflicts", "show", id)
        for expected in ["Holding", "Drifting", "alice", "bob", "Advancing"] {
            #expect(shown.contains(expected), "conflicts show lacks \(expected):\n\(shown)")
        }
        let heads = try #require((try bob.json("conflicts", "show", id) as? [String: Any])?["heads"] as? [[String: Any]])
        #expect(Set(heads.compactMap { $0["author"] as? String }) == ["alice", "bob"])
        #expect(Set(heads.compactMap { $0["value"] as? String }) == ["Holding", "Drifting"])
        #expect(try alice.ok("cell", "show", "20").contains("conflicts show \(id)"), "the conflicted field is marked")

        // Resolved on one replica, closed on every replica after sync
        try bob.ok("resolve", id, "--mine")
        try bob.ok("sync")
        try alice.ok("sync")
        try carol.ok("sync")
        for client in [alice, bob, carol] {
            #expect((try client.json("conflicts") as? [Any])?.isEmpty == true)
        }

        // Three replicas print identical cells and signals
        let cells = try [alice, bob, carol].map { try $0.ok("cell", "show", "20", "--json") }
        #expect(Set(cells).count == 1)
        #expect(cells[0].contains("\"trajectory\" : \"Drifting\""))
        let signals = try [alice, bob, carol].map { try $0.ok("signal", "list", "--json") }
        #expect(Set(signals).count == 1)
        #expect(signals[0].contains("Board of Peace") && signals[0].contains("Hague Commitment"))
    }

    @Test func badInputIsRefusedWithAClearErrorAndChangesNothing() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        let before = try alice.ok("cell", "list", "--json") + alice.ok("status", "--json") + alice.ok("signal", "list", "--json")

        let cases: [([String], String)] = [
            (["cell", "set", "20", "number", "twenty"], "takes an integer"),
            (["cell", "set", "20", "trajectory", "Sideways"], "is not one of Advancing"),
            (["cell", "set", "20", "colour", "red"], "has no field 'colour'"),
            (["cell", "set", "21", "title", "x"], "no cell numbered 21"),
            (["cell", "create", "--number", "20", "--title", "Again"], "already exists"),
            (["cell", "create", "--number", "22", "--title", "T", "--field", "lastAssessed=April"], "is not a date"),
            (["signal", "add", "--title", "T", "--date", "2026-13-01"], "is not a date"),
            (["signal", "add", "--title", "T", "--date", "2026", "--direction", "Up"], "is not one of"),
            (["resolve", "0000000000000000", "--mine"], "no open conflict"),
            (["conflicts", "show", "abc"], "too short to name a conflict"),
            (["conflicts", "show", "abcd"], "no open conflict"),
            (["signal", "show", "ffffffff"], "no signal with id"),
        ]
        for (arguments, message) in cases {
            let result = try workspace.run("sync-client", arguments + ["--replica", alice.replica])
            #expect(result.status != 0, "\(arguments) should fail")
            #expect(result.stderr.contains("Error:") && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let after = try alice.ok("cell", "list", "--json") + alice.ok("status", "--json") + alice.ok("signal", "list", "--json")
        #expect(after == before)
    }

    @Test func aClientWithAWrongTokenIsRefusedAndKeepsItsWrites() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        _ = try server.addAnalyst("alice")
        let mallory = try Client(workspace: workspace, name: "mallory", server: server, token: "alice.this-is-not-the-token-0123456789")
        try mallory.ok("cell", "create", "--number", "1", "--title", "Local only")
        let failed = try mallory.fails("sync")
        #expect(failed.stderr.contains("401") && failed.stderr.contains("unknown or revoked"))
        let status = try #require(try mallory.json("status") as? [String: Any])
        #expect(status["pending"] as? Int == 2)
    }
}
