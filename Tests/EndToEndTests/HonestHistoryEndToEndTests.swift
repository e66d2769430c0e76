import Foundation
import Testing
import TestSupport

/// History holds only what analysts wrote: repeated values make no version, conflicts are named
/// and settled only by sides that mean something, and references read as a person means them.
@Suite(.serialized, .ownThreads) struct HonestHistoryEndToEndTests {
    @Test func aRepeatedValueMakesNoVersionAndNeverAConflict() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try alice.ok("cell", "create", "--number", "17", "--title", "Critical Minerals")
        #expect(try alice.ok("cell", "set", "17", "trend", "Timing").isEmpty)
        for _ in 0..<4 {
            #expect(try alice.ok("cell", "set", "17", "trend", "Timing") == "cell 17 trend is already 'Timing'; nothing written.\n")
        }
        #expect((try alice.json("log", "17", "trend") as? [Any])?.count == 1)

        try alice.ok("signal", "add", "--title", "Export ban widened", "--date", "2026-03", "--cell", "17", "--direction", "Reversing")
        try alice.ok("sync")
        try bob.ok("sync")
        let signal = try #require((try alice.json("signal", "list") as? [[String: Any]])?.first?["id"] as? String)
        // Alice repeats the direction while Bob changes it: Bob's change stands, no conflict
        #expect(try alice.ok("signal", "set", signal, "direction", "Reversing").contains("nothing written"))
        try bob.ok("signal", "set", signal, "direction", "Holding")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("sync")
        for client in [alice, bob] {
            #expect((try client.json("conflicts") as? [Any])?.isEmpty == true)
            let fields = try #require((try client.json("signal", "show", signal) as? [String: Any])?["fields"] as? [String: Any])
            #expect(fields["direction"] as? String == "Holding")
        }
    }

    @Test func aWriteOntoAConflictedFieldSaysWhichConflictItClosed() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try alice.ok("cell", "create", "--number", "17", "--title", "Critical Minerals")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("cell", "set", "17", "tier", "Tier 1")
        try bob.ok("cell", "set", "17", "tier", "Tier 2")
        try alice.ok("sync")
        try bob.ok("sync")
        let id = try #require((try bob.json("conflicts") as? [[String: Any]])?.first?["id"] as? String)
        // A replica that wrote neither head has no --mine
        let carol = try Client(workspace: workspace, name: "carol", server: server, token: try server.addAnalyst("carol"))
        try carol.ok("sync")
        let neither = try carol.fails("resolve", id, "--mine")
        #expect(neither.stderr.contains("no head of this conflict was written on this replica; use --theirs or --value"), "\(neither.stderr)")
        // Too short a prefix is refused; four characters name it
        let short = try bob.fails("conflicts", "show", String(id.prefix(1)))
        #expect(short.stderr.contains("too short to name a conflict: give at least 4 characters"), "\(short.stderr)")
        #expect(try bob.ok("conflicts", "show", String(id.prefix(4))).contains(id))
        let closed = try bob.ok("cell", "set", "17", "tier", "Tier 2")
        #expect(closed == "Resolved conflict \(id) on cell 17 tier: the new value supersedes every head. Sync to close it on every replica.\n")
        try bob.ok("sync")
        try alice.ok("sync")
        #expect((try alice.json("conflicts") as? [Any])?.isEmpty == true)
    }

    @Test func mineAndTheirsOnADeleteConflictNeedASideWrittenThereOrElsewhere() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        let carol = try Client(workspace: workspace, name: "carol", server: server, token: try server.addAnalyst("carol"))
        try alice.ok("cell", "create", "--number", "7", "--title", "Energy Dominance")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("cell", "delete", "7")
        try bob.ok("cell", "set", "7", "trend", "Improving")
        try alice.ok("sync")
        try bob.ok("sync")
        try carol.ok("sync")
        let id = try #require((try carol.json("conflicts") as? [[String: Any]])?.first?["id"] as? String)
        let refused = try carol.fails("resolve", id, "--mine")
        #expect(refused.stderr.contains("no side of this conflict was written on this replica; resolve it with --keep or --delete"), "\(refused.stderr)")
        #expect((try carol.json("conflicts") as? [Any])?.count == 1, "nothing written")
        // Bob's --mine keeps his edit, so the record stays
        try bob.ok("resolve", id, "--mine")
        try bob.ok("sync")
        try alice.ok("sync")
        #expect(try alice.ok("cell", "list").contains("Energy Dominance"))
        #expect((try alice.json("conflicts") as? [Any])?.isEmpty == true)
    }

    @Test func aSignalIDMadeOfDigitsIsReadAsAnIDWhenNoCellHasThatNumber() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let dashboard = """
            {
              "format": "field-sync-dashboard",
              "version": 1,
              "cells": [
                {"id": "00002533-0000-4000-8000-000000000001", "fields": {"number": 2533, "title": "A cell with a large number"}}
              ],
              "signals": [
                {"id": "25339025-0000-4000-8000-000000000001", "fields": {"date": "2026-02", "title": "All digits", "cells": ["2533"]}}
              ]
            }
            """
        try dashboard.write(toFile: workspace.path("d.json"), atomically: true, encoding: .utf8)
        try alice.ok("import", workspace.path("d.json"))
        let log = try #require(try alice.json("log", "25339025") as? [[String: Any]])
        #expect(log.contains { $0["field"] as? String == "title" && $0["value"] as? String == "All digits" }, "\(log)")
        // 2533 is a cell number and the start of the signal's id: the cell, with a note
        let both = try workspace.run("sync-client", ["blame", "2533", "--replica", alice.replica])
        #expect(both.status == 0 && both.stdout.contains("A cell with a large number"), "\(both.stdout)")
        #expect(both.stderr.contains("'2533' is cell 2533 and also the start of the id 25339025; took cell 2533"), "\(both.stderr)")
    }

    @Test func importsBuildOnTheStateTheyWereExportedFrom() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        try alice.ok("cell", "create", "--number", "18", "--title", "Alliance Cohesion")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing", "--field", "relatedCells=18")
        try alice.ok("sync")
        try alice.ok("export", "--output", workspace.path("old.json"))
        try alice.ok("export", "--format", "markdown", "--output", workspace.path("old.md"))
        // After the export, the related cell is removed
        try alice.ok("cell", "set", "20", "relatedCells", "")
        try alice.ok("sync")

        // A replica with writes of its own that lacks the state is told to sync first, and writes nothing
        let dave = try Client(workspace: workspace, name: "dave", server: server, token: try server.addAnalyst("dave"))
        try dave.ok("cell", "create", "--number", "30", "--title", "Dave's own")
        let held = (try dave.json("status") as? [String: Any])?["versions"] as? Int
        let refused = try dave.fails("import", workspace.path("old.json"))
        #expect(refused.stderr.contains("run `sync-client sync`, then import again, or,"), "\(refused.stderr)")
        #expect((try dave.json("status") as? [String: Any])?["versions"] as? Int == held)
        let carol = try Client(workspace: workspace, name: "carol", server: server, token: try server.addAnalyst("carol"))
        try carol.ok("sync")
        let versions = (try carol.json("status") as? [String: Any])?["versions"] as? Int
        // The stale exports bring nothing back: neither format writes a version
        for file in ["old.json", "old.md"] {
            #expect(try carol.ok("import", workspace.path(file)).contains("0 field writes"))
        }
        #expect((try carol.json("status") as? [String: Any])?["versions"] as? Int == versions)
        let related = (try carol.json("cell", "show", "20") as? [String: Any]).flatMap { $0["fields"] as? [String: Any] }?["relatedCells"] as? [String]
        #expect(related == [])

        // A hand edit: --dry-run shows it and writes nothing, then it is written as a later edit
        let edited = try String(contentsOfFile: workspace.path("old.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"Burden-Sharing\"", with: "\"Burden-Sharing, revised\"")
        try edited.write(toFile: workspace.path("edited.json"), atomically: true, encoding: .utf8)
        let dry = try carol.ok("import", workspace.path("edited.json"), "--dry-run")
        #expect(dry.contains("would write cell 20 title") && dry.contains("nothing was written"), "\(dry)")
        #expect((try carol.json("status") as? [String: Any])?["versions"] as? Int == versions)
        try carol.ok("import", workspace.path("edited.json"))
        try carol.ok("sync")
        try alice.ok("sync")
        let fields = (try alice.json("cell", "show", "20") as? [String: Any]).flatMap { $0["fields"] as? [String: Any] }
        #expect(fields?["title"] as? String == "Burden-Sharing, revised")
        #expect(fields?["relatedCells"] as? [String] == [], "the removal stands")
        #expect((try alice.json("conflicts") as? [Any])?.isEmpty == true)

        // A file without a state still imports, with a warning
        let stateless = edited.replacingOccurrences(of: "\"version\" : 2", with: "\"version\" : 1")
            .replacingOccurrences(of: "Burden-Sharing, revised", with: "Burden-Sharing, by hand")
        let stripped = try #require(stateless.range(of: #""state" : \{[^}]*\},\n\s*"#, options: .regularExpression))
        try stateless.replacingCharacters(in: stripped, with: "").write(toFile: workspace.path("hand.json"), atomically: true, encoding: .utf8)
        let hand = try workspace.run("sync-client", ["import", workspace.path("hand.json"), "--replica", carol.replica])
        #expect(hand.status == 0 && hand.stderr.contains("carries no export state"), "\(hand.stderr)")
    }

    @Test func aDeleteConflictSaysWhatEachSideDidAndCompetingResolutionsSaySo() throws {
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
        let id = try #require((try bob.json("conflicts") as? [[String: Any]])?.first?["id"] as? String)
        let shown = try bob.ok("conflicts", "show", id)
        for line in ["the record was deleted on one side while edited on another", "alice, replica", "deleted the record",
                     "(this replica)", "set trend to 'Improving'", "--keep | --delete | --mine | --theirs"] {
            #expect(shown.contains(line), "missing \(line) in:\n\(shown)")
        }
        #expect(!shown.contains("Base — none"))
        let page = try bob.ok("cell", "show", "7").split(separator: "\n")
        #expect(page.count > 1 && page[1].contains("! deleted on one replica while kept or edited on another"), "the warning is under the title: \(page.prefix(3))")

        // Alice keeps it while Bob deletes it: two resolutions that disagree
        try alice.ok("sync")
        try alice.ok("resolve", id, "--keep")
        try bob.ok("resolve", id, "--delete")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("sync")
        let again = try #require((try alice.json("conflicts") as? [[String: Any]])?.first?["id"] as? String)
        let disagree = try alice.ok("conflicts", "show", again)
        #expect(disagree.contains("two resolutions disagree, one keeping the record and one deleting it"), "\(disagree)")
        #expect(disagree.contains("kept the record") && disagree.contains("deleted the record"))
    }
}
