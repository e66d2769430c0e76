import Foundation
import Testing
import TestSupport

/// `sync-client web` in a real headless Chromium: the sample dashboard, cell 20, and a conflict
/// resolved through the page's form, checked afterwards through the command line's `--json`.
/// Screenshots go to `.build/test-artifacts/web/`.
@Suite(.serialized, .ownThreads) struct WebEndToEndTests {
    static let artifacts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/test-artifacts/web").path

    /// The address `sync-client web` prints once it listens.
    static func address(printedBy web: RunningCommand) throws -> String {
        let deadline = Date().addingTimeInterval(60)
        while true {
            let printed = (try? String(contentsOfFile: web.outPath, encoding: .utf8)) ?? ""
            if let range = printed.range(of: #"http://127\.0\.0\.1:\d+/\?token=[0-9a-f]+"#, options: .regularExpression) { return String(printed[range]) }
            guard Date() < deadline, web.process.isRunning else { throw HarnessError("sync-client web did not print its address: \(printed)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    @Test func aConflictIsResolvedInTheBrowserAndTheReplicaSaysSo() async throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try alice.ok("import", SampleDashboardEndToEndTests.samplePath)
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("cell", "set", "20", "trajectory", "Reversing")
        try bob.ok("cell", "set", "20", "trajectory", "Drifting")
        try alice.ok("sync")
        try bob.ok("sync")
        let conflicts = try #require(try bob.json("conflicts", "list") as? [[String: Any]])
        let conflict = try #require(conflicts.first?["id"] as? String)

        let trend = try #require(((try bob.json("cell", "show", "20") as? [String: Any])?["fields"] as? [String: Any])?["trend"] as? String)
        let web = try workspace.start("sync-client", ["web", "--replica", bob.replica, "--port", "0"])
        defer { web.kill(SIGTERM) }
        let url = try Self.address(printedBy: web)
        let origin = String(url[..<url.range(of: "/?token=")!.lowerBound])
        let browser = try HeadlessBrowser(workspace: workspace)
        let artifacts = Self.artifacts
        try await browser.drive { page in
            try await page.open(url)
            #expect(try await page.evaluate("document.querySelector('h1').textContent") as? String == "Dashboard")
            #expect((try await page.evaluate("document.getElementById('banner').textContent") as? String)?.contains("1 open conflict") == true)
            #expect(try await page.evaluate("document.querySelectorAll('table.cells tbody tr').length") as? Int == 5)
            try await page.screenshot(to: artifacts + "/dashboard.png")

            try await page.open(origin + "/cells/20")
            #expect((try await page.evaluate("document.querySelector('h1').textContent") as? String)?.contains("Burden-Sharing & Alliance Architecture") == true)
            #expect(try await page.evaluate("document.querySelectorAll('details.signal').length") as? Int == 19)
            #expect(try await page.evaluate("document.querySelectorAll('svg.timeline circle').length") as? Int == 19)
            #expect(try await page.evaluate("document.querySelector('a.conflict').getAttribute('href')") as? String == "/conflicts/\(conflict)")
            try await page.screenshot(to: artifacts + "/cell-20.png")

            try await page.open(origin + "/conflicts/\(conflict)")
            try await page.click("keep-theirs")
            #expect((try await page.evaluate("document.getElementById('said').textContent") as? String)?.contains("Resolved conflict \(conflict)") == true)

            // A field is edited from a form that starts with what it holds
            try await page.open(origin + "/cells/20")
            #expect(try await page.evaluate("document.querySelectorAll('a.edit').length") as? Int ?? 0 >= 10, "an edit control beside each section")
            try await page.open(origin + "/cells/20/edit/trend")
            #expect(try await page.evaluate("document.getElementById('value').value") as? String == trend, "prefilled with the current trend")
            try await page.open(origin + "/cells/20/edit/trajectory")
            #expect(try await page.evaluate("document.getElementById('value').tagName") as? String == "SELECT")
            #expect(try await page.evaluate("document.getElementById('value').value") as? String == "Reversing")
            try await page.open(origin + "/cells/20/edit/trend")
            _ = try await page.evaluate("document.getElementById('value').value = document.getElementById('value').value + ', edited in the browser'")
            try await page.screenshot(to: artifacts + "/edit-trend.png")
            try await page.click("save")
            #expect((try await page.evaluate("document.getElementById('said').textContent") as? String)?.contains("Saved trend.") == true)
        }
        web.kill(SIGTERM)
        #expect((try bob.json("conflicts", "list") as? [Any])?.isEmpty == true, "the replica has no open conflict left")
        let cell = try #require(try bob.json("cell", "show", "20") as? [String: Any])
        #expect((cell["fields"] as? [String: Any])?["trajectory"] as? String == "Reversing", "theirs is alice's value: \(cell)")
        #expect((cell["fields"] as? [String: Any])?["trend"] as? String == trend + ", edited in the browser")
        #expect(FileManager.default.fileExists(atPath: artifacts + "/dashboard.png") && FileManager.default.fileExists(atPath: artifacts + "/cell-20.png"))
    }
}
