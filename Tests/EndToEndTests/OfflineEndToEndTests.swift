import Foundation
import Testing
import TestSupport

@Suite(.serialized, .ownThreads) struct OfflineEndToEndTests {
    @Test func syncWithTheServerDownFailsFastKeepsEveryWriteAndSucceedsLater() throws {
        let workspace = try Workspace()
        var server = try ServerProcess(workspace: workspace)
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try alice.ok("cell", "create", "--number", "3", "--title", "Energy Dominance")
        try alice.ok("sync")
        server.stop()

        // Offline: writes work, sync fails with a clear message and keeps them queued
        try alice.ok("cell", "set", "3", "trajectory", "Advancing")
        try alice.ok("signal", "add", "--title", "LNG export permits resumed", "--date", "2025-01", "--cell", "3")
        let started = Date()
        let failed = try alice.fails("sync")
        #expect(Date().timeIntervalSince(started) < 30, "a sync against a stopped server must not hang")
        #expect(failed.stderr.contains("cannot reach the sync server") && failed.stderr.contains("kept"), "\(failed.stderr)")
        let status = try #require(try alice.json("status") as? [String: Any])
        #expect(status["pending"] as? Int == 4, "one trajectory write and a signal of three fields")

        // The server comes back on the same port and database
        server = try ServerProcess(workspace: workspace, port: server.port)
        defer { server.stop() }
        try alice.ok("sync")
        try bob.ok("sync")
        #expect((try alice.json("status") as? [String: Any])?["pending"] as? Int == 0)
        let dashboards = try [alice, bob].map { try $0.ok("dashboard", "--json") }
        #expect(dashboards[0] == dashboards[1])
        let rows = try #require(try bob.json("dashboard") as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["trajectory"] as? String == "Advancing")
        #expect(rows.first?["signals"] as? Int == 1)
        #expect(rows.first?["newestSignal"] as? String == "2025-01")
    }

    @Test func commandsRunAtOnceOnOneReplicaAllLandAndLeaveASoundFile() throws {
        // A script editing in parallel: every write takes the file's write lock at its start
        // (BEGIN IMMEDIATE) and waits for it, so none fails and none is lost, and the reads
        // running beside them fold the write log without getting in their way.
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        let numbers = Array(1...8)
        for number in numbers { try alice.ok("cell", "create", "--number", String(number), "--title", "Cell \(number)") }
        let writes = try numbers.map { number in
            try workspace.start("sync-client", ["cell", "set", String(number), "title", "Edited \(number)", "--replica", alice.replica])
        }
        let reads = try (0..<4).map { _ in try workspace.start("sync-client", ["dashboard", "--json", "--replica", alice.replica]) }
        for (number, write) in zip(numbers, writes) {
            let result = write.wait()
            #expect(result.status == 0, "cell set \(number) failed: \(result.stderr)")
        }
        for read in reads {
            let result = read.wait()
            #expect(result.status == 0, "a dashboard read beside the writes failed: \(result.stderr)")
        }
        let rows = try #require(try alice.json("dashboard") as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["title"] as? String }) == Set(numbers.map { "Edited \($0)" }))
        #expect(try FileCheck.integrity(alice.replica) == "ok")
    }

    @Test func tagsOfCellsNotHeldAreKeptWithANoteAndBlankTitlesAreRefused() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        try alice.ok("cell", "create", "--number", "20", "--title", "Alliance Architecture")
        let run = { (arguments: [String]) in try workspace.run("sync-client", arguments + ["--replica", alice.replica]) }

        // A cell number this replica does not hold may be another analyst's, not synced yet: kept, with a note
        let tagged = try run(["signal", "add", "--title", "Summit", "--date", "2026-02", "--cell", "20", "--cell", "99", "--cell", "98"])
        #expect(tagged.status == 0, "\(tagged.stderr)")
        #expect(tagged.stderr.contains("no cell numbered 98 or 99 in this replica yet; cells keeps them as written"), "\(tagged.stderr)")
        let signals = try #require(try alice.json("signal", "list") as? [[String: Any]])
        #expect((signals.first?["fields"] as? [String: Any])?["cells"] as? [String] == ["20", "98", "99"], "\(signals)")
        let related = try run(["cell", "set", "20", "relatedCells", "20, 31"])
        #expect(related.status == 0 && related.stderr.contains("no cell numbered 31 in this replica yet; relatedCells keeps it"), "\(related.stderr)")
        let known = try run(["signal", "add", "--title", "Follow-up", "--date", "2026-03", "--cell", "20"])
        #expect(known.status == 0 && known.stderr.isEmpty, "no note when every tagged cell is held: \(known.stderr)")

        // A blank title is refused before anything is written
        let before = try alice.ok("export")
        for arguments in [["cell", "create", "--number", "21", "--title", " "], ["signal", "add", "--title", "", "--date", "2026"]] {
            let refused = try run(arguments)
            #expect(refused.status == 64 && refused.stderr.contains("--title must not be empty"), "\(arguments): \(refused.stderr)")
        }
        let signalID = try #require(signals.first?["id"] as? String)
        for arguments in [["cell", "set", "20", "title", ""], ["signal", "set", signalID, "title", "  "]] {
            let refused = try run(arguments)
            #expect(refused.status == 1 && refused.stderr.contains("a title must not be empty"), "\(arguments): \(refused.stderr)")
        }
        #expect(try alice.ok("export") == before)
    }

    @Test func configShowMasksTheTokenAndNamesEachSource() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let token = try server.addAnalyst("alice")
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: token)
        let shown = try alice.ok("config", "show")
        #expect(!shown.contains(token) && shown.contains("alice.••••••••"))
        let overridden = try workspace.run("sync-client", ["config", "show", "--json", "--replica", alice.replica],
                                           environment: ["SYNC_SERVER": "http://127.0.0.1:9"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(overridden.stdout.utf8)) as? [String: Any])
        #expect(json["server"] as? String == "http://127.0.0.1:9")
        #expect(json["serverSource"] as? String == "environment")
        #expect(json["tokenSource"] as? String == "replica")
        #expect(!overridden.stdout.contains(token))
    }

    @Test func pipedOutputHasNoColourEvenWithoutNoColor() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing", "--field", "trajectory=Advancing")
        for arguments in [["cell", "show", "20"], ["dashboard"], ["status"]] {
            let result = try workspace.run("sync-client", arguments + ["--replica", alice.replica], environment: ["NO_COLOR": "", "TERM": "xterm-256color"])
            #expect(result.status == 0)
            #expect(!result.stdout.contains("\u{1B}["), "\(arguments) printed colour codes into a pipe")
            #expect(result.stdout.contains("Burden-Sharing") || arguments == ["status"])
        }
    }
}

@Suite(.serialized, .ownThreads) struct ShutdownEndToEndTests {
    @Test func sigtermLetsTheSyncInFlightCommitThenExitsWithStatusZero() throws {
        let workspace = try Workspace()
        var server = try ServerProcess(workspace: workspace, extraArguments: ["--test-pause-before-commit-ms", "1000"])
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        try alice.ok("import", SampleDashboardEndToEndTests.samplePath)
        // The second request pushes alice's first 50 versions; SIGTERM arrives while its
        // transaction is open
        let sync = try workspace.start("sync-client", ["sync", "--replica", alice.replica, "--page-size", "50"])
        try server.waitForLog("test pause: before-commit", count: 2)
        server.process.terminate()
        server.process.waitUntilExit()
        let result = sync.wait()
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0, "SIGTERM is a clean exit")
        #expect(result.status != 0, "the server stopped before the sync's later requests")
        // The request in flight finished and committed; nothing after it arrived
        #expect(try FileCheck.integrity(server.database) == "ok")
        let status = try #require(try alice.json("status") as? [String: Any])
        let own = try #require(status["replica"] as? String)
        #expect(try FileCheck.counters(server.database)[own] == 50)
        // A later sync completes it
        server = try ServerProcess(workspace: workspace, port: server.port)
        defer { server.stop() }
        try alice.ok("sync")
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: try server.addAnalyst("bob"))
        try bob.ok("sync")
        #expect(try alice.ok("export") == (try bob.ok("export")))
        #expect((try alice.json("status") as? [String: Any])?["pending"] as? Int == 0)
    }
}
