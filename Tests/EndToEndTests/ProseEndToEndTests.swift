import Foundation
import Testing
import TestSupport

@Suite(.serialized, .ownThreads) struct ProseEndToEndTests {
    static let base = """
        The Hague Commitment sets 5% of GDP by 2035.

        PURL moves allied money into American equipment.

        Indo-Pacific allies accelerate their acquisitions.
        """

    @Test func paragraphEditsMergeThenOverlappingEditsAreResolvedInTheEditor() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try Self.base.write(toFile: workspace.path("base.txt"), atomically: true, encoding: .utf8)
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("cell", "set", "20", "assessment", "--file", workspace.path("base.txt"))
        try alice.ok("sync")
        try bob.ok("sync")

        // Different paragraphs, offline on both sides: one merged text, no conflict
        let aliceText = Self.base.replacingOccurrences(of: "5% of GDP by 2035.", with: "5% of GDP by 2035, reviewed in 2029.")
        let bobText = Self.base.replacingOccurrences(of: "accelerate their acquisitions.", with: "accelerate their acquisitions; Taiwan budgets $40B.")
        try alice.ok("cell", "set", "20", "assessment", aliceText)
        try bob.ok("cell", "set", "20", "assessment", bobText)
        try alice.ok("sync")
        let merged = try bob.ok("sync")
        #expect(merged.contains("merged cleanly 1") && merged.contains("new conflicts 0"), "\(merged)")
        try alice.ok("sync")
        let expected = aliceText.replacingOccurrences(of: "accelerate their acquisitions.", with: "accelerate their acquisitions; Taiwan budgets $40B.")
        for client in [alice, bob] {
            let fields = try #require((try client.json("cell", "show", "20") as? [String: Any])?["fields"] as? [String: Any])
            #expect(fields["assessment"] as? String == expected)
            #expect((try client.json("conflicts") as? [Any])?.isEmpty == true)
        }

        // The same paragraph: a conflict shown with its base and a diff of each head
        try alice.ok("cell", "set", "20", "assessment", expected.replacingOccurrences(of: "PURL moves", with: "PURL (alice) moves"))
        try bob.ok("cell", "set", "20", "assessment", expected.replacingOccurrences(of: "PURL moves", with: "PURL (bob) moves"))
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("sync")
        let conflicts = try #require(try alice.json("conflicts") as? [[String: Any]])
        let id = try #require(conflicts.first?["id"] as? String)
        let shown = try bob.ok("conflicts", "show", id)
        for line in ["Base —", "--- base", "+++ head 1", "-PURL moves allied money", "+PURL (alice) moves allied money", "+PURL (bob) moves allied money"] {
            #expect(shown.contains(line), "missing \(line) in:\n\(shown)")
        }

        // A scripted editor that leaves the markers in is refused, and nothing is written
        let lazyEditor = workspace.path("lazy-editor.sh")
        try "#!/bin/sh\nexit 0\n".write(toFile: lazyEditor, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: lazyEditor)
        let refused = try workspace.run("sync-client", ["resolve", id, "--edit", "--replica", bob.replica], environment: ["EDITOR": lazyEditor])
        #expect(refused.status != 0 && refused.stderr.contains("conflict markers"), "\(refused.stderr)")
        #expect((try bob.json("conflicts") as? [Any])?.count == 1)

        // A scripted editor that writes the resolution
        let resolution = expected.replacingOccurrences(of: "PURL moves", with: "PURL (alice and bob) moves")
        try resolution.write(toFile: workspace.path("resolution.txt"), atomically: true, encoding: .utf8)
        let editor = workspace.path("editor.sh")
        try "#!/bin/sh\ngrep -q '^<<<<<<< ' \"$1\" || exit 3\ncat '\(workspace.path("resolution.txt"))' > \"$1\"\n"
            .write(toFile: editor, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: editor)
        let resolved = try workspace.run("sync-client", ["resolve", id, "--edit", "--replica", bob.replica], environment: ["EDITOR": editor])
        #expect(resolved.status == 0, "\(resolved.stderr)")
        try bob.ok("sync")
        try alice.ok("sync")
        let finals = try [alice, bob].map { try $0.ok("cell", "show", "20", "--json") }
        #expect(finals[0] == finals[1])
        #expect(finals[0].contains("PURL (alice and bob) moves"))
        #expect((try alice.json("conflicts") as? [Any])?.isEmpty == true)

        // History: the log of the field, newest first, and who set each field
        let log = try #require(try alice.json("log", "20", "assessment") as? [[String: Any]])
        #expect(log.count == 6)
        #expect(log.first?["author"] as? String == "bob")
        let blame = try alice.ok("blame", "20")
        #expect(blame.contains("assessment") && blame.contains("bob") && blame.contains("title") && blame.contains("alice"))
    }

    @Test func aCellDeletedWhileEditedElsewhereIsKeptOrDeletedByChoice() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try alice.ok("cell", "create", "--number", "7", "--title", "Energy Dominance")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("cell", "delete", "7")
        try bob.ok("cell", "set", "7", "trend", "Improving")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("sync")
        let conflicts = try #require(try bob.json("conflicts") as? [[String: Any]])
        #expect(conflicts.count == 1 && conflicts.first?["field"] as? String == "_deleted")
        let id = try #require(conflicts.first?["id"] as? String)
        #expect(try alice.ok("conflicts", "show", id).contains("--keep | --delete"))
        #expect(try alice.ok("cell", "list").contains("Energy Dominance"), "kept visible while in conflict")
        try alice.ok("resolve", id, "--keep")
        try alice.ok("sync")
        try bob.ok("sync")
        for client in [alice, bob] {
            #expect((try client.json("conflicts") as? [Any])?.isEmpty == true)
            let fields = try #require((try client.json("cell", "show", "7") as? [String: Any])?["fields"] as? [String: Any])
            #expect(fields["trend"] as? String == "Improving")
        }
        // Referencing a deleted cell stays displayable
        try bob.ok("signal", "add", "--title", "Pipeline approved", "--date", "2026-03", "--cell", "7")
        try bob.ok("cell", "delete", "7")
        #expect(try bob.ok("signal", "list").contains("Pipeline approved"))
        // A deleted cell no longer answers to its number, only to its id
        let byNumber = try bob.fails("cell", "show", "7")
        #expect(byNumber.stderr.contains("no live cell numbered 7; a deleted cell had that number: name it by its id"), "\(byNumber.stderr)")
        let deletedID = try #require(byNumber.stderr.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(try bob.ok("cell", "show", deletedID).contains("[deleted]"))
    }
}
