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

    /// The exposition's samples, by series (name with labels).
    static func samples(_ body: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for sample in body.split(separator: "\n") where !sample.hasPrefix("#") {
            guard let space = sample.lastIndex(of: " "), let value = Double(sample[sample.index(after: space)...]) else { continue }
            samples[String(sample[..<space])] = value
        }
        return samples
    }

    /// The server's metrics address, from the line it logs at start.
    static func metricsURL(_ server: ServerProcess) throws -> String {
        try server.waitForLog("sync-server metrics on http://127.0.0.1:", timeout: 30)
        let line = try #require(server.log.split(separator: "\n").first { $0.hasPrefix("sync-server metrics on ") })
        return String(line.dropFirst("sync-server metrics on ".count))
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

    /// Two analysts make a real conflict, one resolves it; couriers bring bundles, one good and
    /// two refused. The serving process reads what replicas reported and what `bundle apply`
    /// (a process of its own) counted from the database; `status` shows the same.
    @Test func openConflictsAndBundleAppliesAreCountedFromTheDatabase() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace, extraArguments: ["--metrics-port", "0"])
        defer { server.stop() }
        let url = try Self.metricsURL(server)
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        func scrape() throws -> [String: Double] {
            let scrape = try Self.get(url, in: workspace)
            #expect(scrape.status == "200")
            return Self.samples(scrape.body)
        }
        func status() throws -> [String] {
            let status = try workspace.run("sync-server", ["status", "--db", server.database])
            #expect(status.status == 0, "\(status.stderr)")
            return status.stdout.split(separator: "\n").map(String.init)
        }
        let before = try scrape()
        #expect(before["fieldsync_conflicts_open"] == 0 && before["fieldsync_conflicts_opened_total"] == 0, "\(before)")
        #expect(before[#"fieldsync_bundle_applies_total{result="applied"}"#] == 0, "\(before)")

        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing", "--field", "trajectory=Advancing")
        try alice.ok("sync")
        try bob.ok("sync")
        try alice.ok("cell", "set", "20", "trajectory", "Holding")   // both offline
        try bob.ok("cell", "set", "20", "trajectory", "Drifting")
        try alice.ok("sync")
        #expect(try bob.ok("sync").contains("new conflicts 1"))
        var samples = try scrape()
        #expect(samples["fieldsync_conflicts_opened_total"] == 1 && samples["fieldsync_conflicts_open"] == 1, "\(samples)")
        #expect(try status().contains("Conflicts: 1 open, 1 opened in all (as replicas reported them)"))

        try alice.ok("sync")
        samples = try scrape()
        #expect(samples["fieldsync_conflicts_opened_total"] == 1 && samples["fieldsync_conflicts_open"] == 1, "the same conflict on alice's replica: \(samples)")
        let conflicts = try #require(try alice.json("conflicts") as? [[String: Any]])
        let id = try #require(conflicts.first?["id"] as? String)
        try alice.ok("resolve", id, "--theirs")
        try alice.ok("sync")
        samples = try scrape()
        #expect(samples["fieldsync_conflicts_opened_total"] == 1 && samples["fieldsync_conflicts_open"] == 0, "\(samples)")
        try bob.ok("sync")
        samples = try scrape()
        #expect(samples["fieldsync_conflicts_opened_total"] == 1 && samples["fieldsync_conflicts_open"] == 0, "\(samples)")
        #expect(try status().contains("Conflicts: 0 open, 1 opened in all (as replicas reported them)"))

        // A courier's stick from alice is taken; a stranger's (never synced) and a damaged file are not.
        try alice.ok("cell", "create", "--number", "21", "--title", "Supply Chains")
        let stick = workspace.path("courier.fsbundle")
        try alice.ok("bundle", "create", "--output", stick)
        let applied = try workspace.run("sync-server", ["bundle", "apply", stick, "--db", server.database])
        #expect(applied.status == 0, "\(applied.stderr)")
        let stranger = try Client(workspace: workspace, name: "stranger", server: server, token: try server.addAnalyst("dave"))
        try stranger.ok("cell", "create", "--number", "5", "--title", "Unvouched")
        let unknown = workspace.path("unknown.fsbundle")
        try stranger.ok("bundle", "create", "--output", unknown)
        #expect(try workspace.run("sync-server", ["bundle", "apply", unknown, "--db", server.database]).status != 0)
        let damaged = workspace.path("damaged.fsbundle")
        try Data("not a bundle at all".utf8).write(to: URL(fileURLWithPath: damaged))
        #expect(try workspace.run("sync-server", ["bundle", "apply", damaged, "--db", server.database]).status != 0)
        samples = try scrape()
        #expect(samples[#"fieldsync_bundle_applies_total{result="applied"}"#] == 1, "\(samples)")
        #expect(samples[#"fieldsync_bundle_applies_total{result="refused",reason="unknown_key"}"#] == 1, "\(samples)")
        #expect(samples[#"fieldsync_bundle_applies_total{result="refused",reason="bad_bundle"}"#] == 1, "\(samples)")
        #expect(try status().contains("Bundle applies: 1 applied, 2 refused (bad_bundle 1, unknown_key 1)"))
        // A second scrape reads the same figures: they are set from the database, never added up.
        #expect(try scrape()[#"fieldsync_bundle_applies_total{result="applied"}"#] == 1)
    }
}
