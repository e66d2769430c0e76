import Foundation
import Testing
import TestSupport

/// The web dashboard keeps its replica in step while it serves, and an open page says within
/// two seconds that new versions arrived, through its one script (allowed by the content
/// security policy as the dashboard's own file, nothing inline).
extension WebEndToEndTests {
    @Test func anOpenPageSaysWithinTwoSecondsThatAColleaguesChangesArrived() async throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try alice.ok("sync")
        try bob.ok("sync")
        let web = try workspace.start("sync-client", ["web", "--replica", bob.replica, "--port", "0"])
        defer { web.kill(SIGTERM) }
        let url = try Self.address(printedBy: web)
        let browser = try HeadlessBrowser(workspace: workspace)
        let artifacts = Self.artifacts
        // The colleague's commands run from inside the browser's script; a Client is only paths.
        nonisolated(unsafe) let colleague = alice
        try await browser.drive { page in
            try await page.open(url)
            #expect(try await page.evaluate("document.querySelectorAll('table.cells tbody tr').length") as? Int == 1)
            #expect(try await page.evaluate("document.getElementById('live').hidden") as? Bool == true)
            #expect(try await page.evaluate("document.querySelectorAll('script:not([src])').length") as? Int == 0, "no inline script")
            // The script is served from the dashboard itself (WebRouteTests: only to the session).
            #expect(try await page.evaluate("document.querySelector('script').getAttribute('src')") as? String == "/live.js")

            try colleague.ok("cell", "create", "--number", "21", "--title", "Arrived while the page was open")
            try colleague.ok("cell", "create", "--number", "22", "--title", "And another")
            try colleague.ok("sync")
            let pushed = ContinuousClock.now
            var banner = ""
            while ContinuousClock.now - pushed < .seconds(10) {
                if try await page.evaluate("document.getElementById('live').hidden") as? Bool == false {
                    banner = try await page.evaluate("document.getElementById('live').textContent") as? String ?? ""
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let shownAfter = ContinuousClock.now - pushed
            print("LiveWebEndToEndTests: the banner showed \(shownAfter) after the push: \(banner)")
            #expect(banner == "4 new changes — reload", "\(banner)")
            #expect(shownAfter < .seconds(2), "the banner took \(shownAfter)")
            try await page.screenshot(to: artifacts + "/live-banner.png")
            try await page.click("live-reload")
            #expect(try await page.evaluate("document.querySelectorAll('table.cells tbody tr').length") as? Int == 3)
            #expect(try await page.evaluate("document.getElementById('live').hidden") as? Bool == true)
        }
        let printed = (try? String(contentsOfFile: web.outPath, encoding: .utf8)) ?? ""
        #expect(printed.contains("received 4 versions"), "the dashboard's watch printed what it received: \(printed)")
    }
}
