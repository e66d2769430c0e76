import Foundation
import Testing
import TestSupport

/// `/metrics` scraped from a real server on its own listener after a scripted sync.
@Suite(.serialized, .ownThreads) struct MetricsEndToEndTests {
    /// `curl -s URL`'s output and status code.
    static func get(_ url: String, in workspace: Workspace) throws -> (body: String, status: String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            throw HarnessError("curl is not installed; install it with `apt-get install -y curl` and run the tests again")
        }
        let result = try workspace.run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", url])
        let parts = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (parts.dropLast().joined(separator: "\n"), String(parts.last ?? ""))
    }

    @Test func aScrapeAfterAScriptedSyncCountsWhatHappened() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace, extraArguments: ["--metrics-port", "0"])
        defer { server.stop() }
        try server.waitForLog("sync-server metrics on http://127.0.0.1:", timeout: 30)
        let line = try #require(server.log.split(separator: "\n").first { $0.hasPrefix("sync-server metrics on ") })
        let url = String(line.dropFirst("sync-server metrics on ".count))
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing", "--field", "trajectory=Advancing")
        let sent = try #require(try FileCheck.counters(alice.replica).values.first)
        try alice.ok("sync")
        try bob.ok("sync")

        let scrape = try Self.get(url, in: workspace)
        #expect(scrape.status == "200")
        var samples: [String: Double] = [:]
        for sample in scrape.body.split(separator: "\n") where !sample.hasPrefix("#") {
            guard let space = sample.lastIndex(of: " "), let value = Double(sample[sample.index(after: space)...]) else { continue }
            samples[String(sample[..<space])] = value
        }
        #expect(samples[#"fieldsync_versions_pushed_total{outcome="stored"}"#] == Double(sent), "\(scrape.body)")
        #expect(samples["fieldsync_versions_pulled_total"] == Double(sent), "bob pulled what alice pushed")
        #expect(samples["fieldsync_feed_head"] == Double(sent))
        #expect(samples["fieldsync_analysts"] == 2 && samples["fieldsync_replicas"] == 2)
        #expect((samples[#"fieldsync_sync_requests_total{outcome="ok"}"#] ?? 0) >= 2)
        #expect(scrape.body.contains("hb_requests{"), "Hummingbird's request counts by route")
        // Never on the analysts' port.
        #expect(try Self.get(server.url + "/metrics", in: workspace).status == "404")
    }
}
