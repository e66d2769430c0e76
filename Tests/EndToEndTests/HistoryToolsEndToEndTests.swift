import Foundation
import Testing
import TestSupport

/// History you can use, through the real binaries: log, blame by line, diff, revert, restore,
/// views as of a point, search, filters and the last sync.
@Suite(.serialized, .ownThreads) struct HistoryToolsEndToEndTests {
    @Test func historyToolsAnswerFromTheVersions() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        #expect(try alice.ok("status").contains("Synced   never"))
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("cell", "set", "20", "assessment", "First.\n\nSecond.\n\nThird.")
        try alice.ok("sync")
        try bob.ok("sync")
        #expect(try alice.ok("status").contains("with \(server.url)"))
        let firstVersion = try #require((try alice.json("log", "20", "assessment") as? [[String: Any]])?.first)
        let first = "\(try #require((firstVersion["replica"] as? String)?.prefix(8))):\(try #require(firstVersion["counter"] as? Int))"

        // Concurrent edits of different paragraphs merge; blame credits each line to its writer
        try alice.ok("cell", "set", "20", "assessment", "First, by alice.\n\nSecond.\n\nThird.")
        try bob.ok("cell", "set", "20", "assessment", "First.\n\nSecond.\n\nThird, by bob.")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("sync")
        let blame = try alice.ok("blame", "20", "assessment").split(separator: "\n")
        #expect(blame.count == 5, "\(blame)")
        #expect(blame[0].hasPrefix("alice") && blame[0].hasSuffix("First, by alice."), "\(blame)")
        #expect(blame[2].hasPrefix("alice \(first)") && blame[2].hasSuffix("Second."), "the untouched line keeps its first writer: \(blame)")
        #expect(blame[4].hasPrefix("bob") && blame[4].hasSuffix("Third, by bob."), "\(blame)")
        let log = try alice.ok("log", "20", "assessment")
        #expect(log.contains("(concurrent)") && log.contains("Third, by bob."), "values whole for one field: \(log)")

        // A conflict and its resolution are marked
        try alice.ok("cell", "set", "20", "trend", "Up")
        try bob.ok("cell", "set", "20", "trend", "Down")
        try alice.ok("sync")
        try bob.ok("sync")
        let id = try #require((try bob.json("conflicts") as? [[String: Any]])?.first?["id"] as? String)
        try bob.ok("resolve", id, "--value", "Sideways")
        #expect(try bob.ok("log", "20", "trend").contains("(resolution)"))

        // diff from the first assessment to now; revert to it
        let diff = try alice.ok("diff", "20", "assessment", "--from", first)
        for line in ["-First.", "+First, by alice.", "-Third.", "+Third, by bob."] { #expect(diff.contains(line), "missing \(line) in \(diff)") }
        #expect(try alice.ok("diff", "20", "--from", first).contains("title") == false, "unchanged fields are not listed")
        try alice.ok("revert", "20", "assessment", first)
        let fields = (try alice.json("cell", "show", "20") as? [String: Any]).flatMap { $0["fields"] as? [String: Any] }
        #expect(fields?["assessment"] as? String == "First.\n\nSecond.\n\nThird.")

        // Views as of a point, from history
        #expect(try alice.ok("dashboard", "--as-of", "2020").hasPrefix("Nothing existed on this replica at 2020: its history starts "))
        let then = try alice.ok("cell", "show", "20", "--as-of", first)
        #expect(then.contains("Burden-Sharing") && !then.contains("Trend:"), "\(then)")
        #expect(try alice.ok("dashboard", "--as-of", "2099").contains("Burden-Sharing"))
        #expect(try alice.fails("dashboard", "--as-of", "yesterday").stderr.contains("is not a point in history"))

        // Delete and restore; revert of a deleted record is refused with the way back
        try alice.ok("cell", "delete", "20")
        #expect(try alice.fails("revert", "20", "assessment", first).status != 0)
        #expect(try alice.ok("cell", "restore", "20").contains("Restored cell 20"))
        #expect(try alice.ok("cell", "list").contains("Burden-Sharing"))

        // Signals by date range and direction; search across fields
        try alice.ok("signal", "add", "--title", "Hague summit", "--date", "2026-02-18", "--cell", "20", "--direction", "Advancing")
        try alice.ok("signal", "add", "--title", "Budget slip", "--date", "2026-03", "--cell", "20", "--direction", "Reversing")
        try alice.ok("signal", "add", "--title", "Old news", "--date", "2025", "--direction", "Reversing")
        func titles(_ arguments: String...) throws -> [String] {
            let rows = try #require(try alice.workspace.run("sync-client", ["signal", "list", "--json", "--replica", alice.replica] + arguments).stdout.data(using: .utf8))
            return ((try JSONSerialization.jsonObject(with: rows)) as? [[String: Any]] ?? []).compactMap { ($0["fields"] as? [String: Any])?["title"] as? String }
        }
        #expect(try titles("--from", "2026-02", "--to", "2026-03-15") == ["Budget slip", "Hague summit"])
        #expect(try titles("--direction", "Reversing") == ["Budget slip", "Old news"])
        #expect(try titles("--from", "2026-03-10", "--direction", "Reversing") == ["Budget slip"], "a month-dated signal is in a range that meets its month")
        // Deleted signals come back; views of signals and exports as of a point
        let budget = try #require((try alice.json("signal", "list", "--direction", "Reversing") as? [[String: Any]])?.first?["id"] as? String)
        try alice.ok("signal", "delete", budget)
        #expect(try titles("--direction", "Reversing") == ["Old news"])
        #expect(try alice.ok("signal", "restore", String(budget.prefix(8))).contains("Restored signal"))
        #expect(try titles("--direction", "Reversing") == ["Budget slip", "Old news"])
        #expect(try titles("--as-of", "2020").isEmpty, "no signal existed then")
        #expect(try titles("--as-of", "2099").count == 3)
        try alice.ok("export", "--as-of", first, "--output", workspace.path("then.json"))
        let exported = try String(contentsOfFile: workspace.path("then.json"), encoding: .utf8)
        #expect(exported.contains("Burden-Sharing") && !exported.contains("Hague summit") && !exported.contains("\"state\""), "a view from history carries no state")
        let search = try alice.ok("search", "hague")
        #expect(search.contains("Hague summit") && search.contains("title"), "\(search)")
        #expect(try alice.ok("search", "nothing like this").contains("Nothing matches"))
    }
}
