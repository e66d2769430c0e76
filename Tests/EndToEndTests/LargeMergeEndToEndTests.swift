import Foundation
import Testing
import TestSupport

/// The largest values an analyst can write, merged by the real binaries: a few edits merge
/// whatever the length, texts too far apart become a conflict, and the server keeps serving.
@Suite(.serialized, .ownThreads) struct LargeMergeEndToEndTests {
    /// 200,000 short lines (about 4 bytes each, 0.8 MB): under the value limit.
    static let lines = (0..<200_000).map { String($0 % 1_000) }

    static func write(_ lines: [String], to path: String) throws {
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func twoEditsOnEachSideOfTheLargestProseMergeWhileTheServerServesOthers() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        let carol = try Client(workspace: workspace, name: "carol", server: server, token: try server.addAnalyst("carol"))
        try Self.write(Self.lines, to: workspace.path("base.txt"))
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("cell", "set", "20", "assessment", "--file", workspace.path("base.txt"))
        try alice.ok("sync")
        try bob.ok("sync")

        var aliceLines = Self.lines, bobLines = Self.lines, expected = Self.lines
        for (index, text) in [(10, "alice early"), (120_000, "alice late")] { aliceLines[index] = text; expected[index] = text }
        for (index, text) in [(60_000, "bob early"), (199_990, "bob late")] { bobLines[index] = text; expected[index] = text }
        try Self.write(aliceLines, to: workspace.path("alice.txt"))
        try Self.write(bobLines, to: workspace.path("bob.txt"))
        try alice.ok("cell", "set", "20", "assessment", "--file", workspace.path("alice.txt"))
        try bob.ok("cell", "set", "20", "assessment", "--file", workspace.path("bob.txt"))
        try carol.ok("cell", "create", "--number", "7", "--title", "Energy Dominance")
        try alice.ok("sync")

        // Bob's push is merged on the server while carol syncs
        let bobSync = try workspace.start("sync-client", ["sync", "--replica", bob.replica])
        let carolSync = try workspace.start("sync-client", ["sync", "--replica", carol.replica])
        let carolResult = carolSync.wait(), bobResult = bobSync.wait()
        #expect(carolResult.status == 0, "\(carolResult.stderr)")
        #expect(bobResult.status == 0 && bobResult.stdout.contains("merged cleanly 1"), "\(bobResult.stdout)\(bobResult.stderr)")
        try alice.ok("sync")
        try bob.ok("sync")
        for client in [alice, bob] {
            let fields = try #require((try client.json("cell", "show", "20") as? [String: Any])?["fields"] as? [String: Any])
            #expect(fields["assessment"] as? String == expected.joined(separator: "\n"))
            #expect((try client.json("conflicts") as? [Any])?.isEmpty == true)
        }
        #expect(try alice.ok("cell", "list").contains("Energy Dominance"), "carol's cell reached alice")
    }

    @Test func unrelatedTextsAtTheValueLimitAreAConflictShownInBriefAndResolved() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        var random = SplitMix64(seed: 30)
        func text() -> [String] { (0..<200_000).map { _ in String(random.next() % 1_000) } }
        try Self.write(text(), to: workspace.path("base.txt"))
        try Self.write(text(), to: workspace.path("alice.txt"))
        try Self.write(text(), to: workspace.path("bob.txt"))
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("cell", "set", "20", "assessment", "--file", workspace.path("base.txt"))
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("cell", "set", "20", "assessment", "--file", workspace.path("alice.txt"))
        try bob.ok("cell", "set", "20", "assessment", "--file", workspace.path("bob.txt"))
        try alice.ok("sync")
        #expect(try bob.ok("sync").contains("new conflicts 1"))
        try alice.ok("sync")
        let conflicts = try #require(try alice.json("conflicts") as? [[String: Any]])
        let ids = try [alice, bob].map { try #require(($0.json("conflicts") as? [[String: Any]])?.first?["id"] as? String) }
        #expect(conflicts.count == 1 && ids[0] == ids[1], "the same conflict on both replicas")
        let shown = try alice.ok("conflicts", "show", ids[0])
        #expect(shown.contains("The heads differ too much to merge line by line, so each is kept whole."), "\(shown.suffix(1_000))")
        #expect(shown.contains("head 1 (") && shown.contains("200,000 lines"), "\(shown.suffix(1_000))")
        #expect(!shown.contains("--- base"), "no diff is drawn")
        try alice.ok("resolve", ids[0], "--mine")
        try alice.ok("sync")
        try bob.ok("sync")
        let expected = try String(contentsOfFile: workspace.path("alice.txt"), encoding: .utf8)
        for client in [alice, bob] {
            let fields = try #require((try client.json("cell", "show", "20") as? [String: Any])?["fields"] as? [String: Any])
            #expect(fields["assessment"] as? String == expected)
            #expect((try client.json("conflicts") as? [Any])?.isEmpty == true)
        }
    }
}
