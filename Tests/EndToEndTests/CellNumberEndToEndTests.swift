import Foundation
import Testing
import TestSupport

/// One number per live cell, and tags that follow their cell.
@Suite(.serialized, .ownThreads) struct CellNumberEndToEndTests {
    static func conflicts(_ client: Client) throws -> [[String: Any]] {
        try #require(try client.json("conflicts") as? [[String: Any]])
    }

    @Test func twoCellsGivenOneNumberOfflineAreAConflictEverywhereSettledByRenumbering() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        let aliceCell = try alice.ok("cell", "create", "--number", "22", "--title", "Alice's 22")
        try bob.ok("cell", "create", "--number", "22", "--title", "Bob's 22")
        try alice.ok("sync")
        #expect(try bob.ok("sync").contains("new conflicts 1"))
        try alice.ok("sync")
        let ids = try [alice, bob].map { try Self.conflicts($0).map { $0["id"] as? String } }
        #expect(ids[0].count == 1 && ids[0] == ids[1], "one conflict, the same id on both replicas: \(ids)")
        let id = try #require(ids[0].first ?? nil)
        let shown = try alice.ok("conflicts", "show", id)
        #expect(shown.contains("2 live cells are numbered 22") && shown.contains("numbered 22 by alice") && shown.contains("numbered 22 by bob"), "\(shown)")
        let resolve = try alice.fails("resolve", id, "--mine")
        #expect(resolve.stderr.contains("settle it by renumbering one"), "\(resolve.stderr)")
        let ambiguous = try alice.fails("cell", "show", "22")
        #expect(ambiguous.stderr.contains("a conflict listed by `sync-client conflicts`"), "\(ambiguous.stderr)")

        // Renumbering one settles it on every replica
        let aliceID = aliceCell.trimmingCharacters(in: .whitespacesAndNewlines)
        try alice.ok("cell", "set", String(aliceID.prefix(8)), "number", "23")
        try alice.ok("sync")
        try bob.ok("sync")
        for client in [alice, bob] {
            #expect(try Self.conflicts(client).isEmpty)
            #expect(try client.ok("cell", "show", "23").contains("Alice's 22"))
            #expect(try client.ok("cell", "show", "22").contains("Bob's 22"))
        }
    }

    @Test func tagsFollowTheirCellThroughARenumberingAndNeverPassToANewCellWithAnOldNumber() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        // A tag written before its cell exists here is kept as a number
        let note = try workspace.run("sync-client", ["signal", "add", "--title", "Early", "--date", "2026-01", "--cell", "18", "--replica", alice.replica])
        #expect(note.stderr.contains("no cell numbered 18 in this replica yet"), "\(note.stderr)")
        try alice.ok("cell", "create", "--number", "18", "--title", "Alliance Cohesion")
        for month in 2...4 {
            try alice.ok("signal", "add", "--title", "Signal \(month)", "--date", "2026-0\(month)", "--cell", "18")
        }
        try alice.ok("sync")
        try bob.ok("sync")
        func signalCount(_ client: Client, _ number: Int) throws -> Int? {
            (try client.json("dashboard") as? [[String: Any]])?.first { $0["number"] as? Int == number }?["signals"] as? Int
        }
        #expect(try signalCount(bob, 18) == 4)

        // Renumbered on Bob's replica: every tag, old and new, follows the cell
        try bob.ok("cell", "set", "18", "number", "19")
        try bob.ok("sync")
        try alice.ok("sync")
        for client in [alice, bob] {
            #expect(try signalCount(client, 19) == 4)
            let list = try #require(try client.json("signal", "list", "--cell", "19") as? [[String: Any]])
            #expect(list.count == 4)
            #expect(list.allSatisfy { ($0["fields"] as? [String: Any])?["cells"] as? [String] == ["19"] }, "tags read as the cell's number")
        }

        // A new cell given the freed number 18 takes none of them; a deleted cell answers to no number
        try alice.ok("cell", "create", "--number", "18", "--title", "A new 18")
        #expect(try signalCount(alice, 18) == 0)
        try alice.ok("cell", "delete", "19")
        let deleted = try alice.fails("cell", "show", "19")
        #expect(deleted.stderr.contains("no live cell numbered 19"), "\(deleted.stderr)")
    }
}
