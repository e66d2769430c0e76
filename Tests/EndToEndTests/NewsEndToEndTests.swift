import Foundation
import Testing
import TestSupport

/// `sync-client news` with the real binaries: one analyst writes, the other syncs and sees
/// exactly those changes, once; and the web dashboard's "since your last visit" page in a real
/// browser, whose "Mark as seen" moves the same mark.
@Suite(.serialized, .ownThreads) struct NewsEndToEndTests {
    @Test func aColleaguesChangesAreNewsOnceAndOwnWritesNever() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice"), bob = try server.client("bob")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("sync")
        try bob.ok("sync")
        try bob.ok("news")
        #expect(try bob.ok("news").contains("nothing new."), "a second look finds nothing")

        // alice edits two fields of cell 20, makes cell 21 and a signal; bob writes his own
        try alice.ok("cell", "set", "20", "trend", "Improving")
        try alice.ok("cell", "set", "20", "trend", "Improving fast")
        try alice.ok("cell", "set", "20", "trajectory", "Advancing")
        try alice.ok("cell", "create", "--number", "21", "--title", "Strait")
        try alice.ok("signal", "add", "--title", "Summit", "--date", "2026-02-18", "--cell", "20")
        try alice.ok("sync")
        try bob.ok("cell", "set", "20", "assessment", "Holding, by bob's reading")
        try bob.ok("sync")

        let json = try #require(try bob.json("news", "--no-mark") as? [String: Any])
        #expect(json["authors"] as? [String] == ["alice"])
        let cells = try #require(json["cells"] as? [[String: Any]])
        #expect(cells.map { $0["number"] as? Int } == [20, 21])
        #expect(cells.map { $0["new"] as? Bool } == [false, true])
        let fields = try #require(cells[0]["fields"] as? [[String: Any]])
        #expect(fields.map { $0["field"] as? String } == ["trajectory", "trend"])
        #expect(fields.map { $0["versions"] as? Int } == [1, 2])
        #expect(fields.map { $0["by"] as? [String] } == [["alice"], ["alice"]])
        let signals = try #require(json["signals"] as? [[String: Any]])
        #expect(signals.map { $0["title"] as? String } == ["Summit"] && signals.first?["new"] as? Bool == true)

        let text = try bob.ok("news")
        #expect(text.contains("Since your last look"))
        #expect(text.contains("  20  Burden-Sharing\n    trajectory  alice\n    trend       alice (2 versions)\n"), "\(text)")
        #expect(text.contains("  21  Strait  (new)"))
        #expect(text.contains("New signals\n") && text.contains("Summit  by alice"))
        #expect(!text.contains("assessment"), "bob's own write is not news: \(text)")
        #expect(try bob.ok("news").contains("nothing new."), "once shown, nothing is new")
        // A point in the past still lists it, and leaves the mark alone
        #expect(try bob.ok("news", "--since", "2020-01-01").contains("Summit"))
        #expect(try bob.ok("news").contains("nothing new."))
        let refused = try bob.fails("news", "--since", "someday")
        #expect(refused.stderr.contains("'someday' is not a point in history"))
    }

    @Test func theWebPageShowsTheNewsAndMarksThemSeen() async throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice"), bob = try server.client("bob")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing <b>&</b> Allies")
        try alice.ok("sync")
        try bob.ok("sync")
        try bob.ok("news")
        try alice.ok("cell", "set", "20", "trend", "Improving")
        try alice.ok("signal", "add", "--title", "Summit", "--date", "2026-02-18", "--cell", "20")
        try alice.ok("sync")
        try bob.ok("sync")

        let web = try workspace.start("sync-client", ["web", "--replica", bob.replica, "--port", "0"])
        defer { web.kill(SIGTERM) }
        let url = try WebEndToEndTests.address(printedBy: web)
        let origin = String(url[..<url.range(of: "/?token=")!.lowerBound])
        let browser = try HeadlessBrowser(workspace: workspace)
        let artifacts = WebEndToEndTests.artifacts
        try await browser.drive { page in
            try await page.open(url)
            try await page.open(origin + "/news")
            #expect(try await page.evaluate("document.querySelector('h1').textContent") as? String == "Since your last visit")
            #expect((try await page.evaluate("document.getElementById('news-heading').textContent") as? String)?.contains("4 new versions from alice") == true)
            #expect(try await page.evaluate("document.querySelector('table.news th a').textContent") as? String == "20 Burden-Sharing <b>&</b> Allies",
                    "the title is shown as text, escaped")
            #expect(try await page.evaluate("document.querySelectorAll('table.news td').length") as? Int == 2)
            #expect(try await page.evaluate("document.querySelector('ul.new-signals a').textContent") as? String == "2026-02-18 Summit")
            // The one script is the dashboard's own banner, from its origin; nothing inline.
            #expect(try await page.evaluate("Array.from(document.scripts).map(s => new URL(s.src).pathname + (s.text ? ' inline' : '')).join(',')") as? String == "/live.js")
            try await page.screenshot(to: artifacts + "/news.png")
            try await page.click("mark-seen")
            #expect((try await page.evaluate("document.getElementById('said').textContent") as? String)?.contains("Marked as seen.") == true)
            #expect((try await page.evaluate("document.getElementById('news-heading').textContent") as? String)?.hasSuffix("nothing new.") == true)
            // A point in the past shows it again, with no mark to move
            try await page.open(origin + "/news?since=2020-01-01")
            #expect((try await page.evaluate("document.getElementById('news-heading').textContent") as? String)?.contains("6 new versions from alice") == true,
                    "the cell's first versions too")
            #expect(try await page.evaluate("document.querySelectorAll('#mark-seen').length") as? Int == 0)
        }
        web.kill(SIGTERM)
        #expect(try bob.ok("news").contains("nothing new."), "the page's mark is the command's")
    }
}
