import ArgumentParser
import Foundation
import LocalStore
import SyncModel
import SyncServerCore

struct LargeMerge: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "large-merge",
        abstract: "Merges of the largest prose an analyst can write, against git merge-file (targets: two edits each < 100 ms and < 50 MB extra; unrelated texts a conflict < 1 s; a merging sync < 150 MB each side)."
    )
    @Option(help: "Lines in the field (5 bytes each with its line break).") var lines = 200_000
    @Option(help: "Runs of each in-process merge; the median is reported.") var runs = 5

    func validate() throws {
        guard (4...(ValueRules.defaultMaxValueBytes / 5)).contains(lines) else {
            throw ValidationError("--lines must be between 4 and \(ValueRules.defaultMaxValueBytes / 5), so the field fits the value limit")
        }
        try require("--runs", runs, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let base = (0..<lines).map { "l" + String(format: "%03d", $0 % 1_000) }
        var ours = base, theirs = base
        ours[lines / 20] = "ours 1"
        ours[lines / 2] = "ours 2"
        theirs[lines / 4] = "theirs 1"
        theirs[lines - 3] = "theirs 2"
        var random = SystemRandomNumberGenerator()
        let unrelated = (0..<3).map { _ in (0..<lines).map { _ in "u" + String(format: "%03d", Int.random(in: 0..<1_000, using: &random)) } }

        let fewEdits = try compare([base, ours, theirs], in: folder, expectConflict: false)
        table.add("merge 2 heads of \(BenchTable().format(Double(lines))) lines (1 MiB), 2 edits each", cost: fewEdits.engine, reference: fewEdits.git,
                  unit: "ms", referenceName: "git merge-file, process; target < 100 ms")
        let apart = try compare(unrelated, in: folder, expectConflict: true)
        table.add("merge 2 unrelated 1 MiB texts: a conflict", cost: apart.engine, reference: apart.git,
                  unit: "ms", referenceName: "git merge-file, process; target < 1,000 ms")

        let sync = try syncs(base: base, ours: ours, theirs: theirs, in: folder)
        table.add("sync that merges such a field, real processes", cost: sync.merging.seconds * 1000, reference: sync.plain.seconds * 1000,
                  unit: "ms", referenceName: "the sync that pulled it, no merge")
        table.add("  peak memory, client / server", value: "\(megabytes(sync.merging.peakMemory)) / \(megabytes(sync.serverPeak))",
                  target: "target < 150 MB each; \(megabytes(sync.plain.peakMemory)) / \(megabytes(sync.serverPlainPeak)) without the merge")
    }

    /// Median milliseconds of the engine's merge of `texts` (base, then two heads) in process,
    /// and of `git merge-file` on the same texts, after checking both reach the same outcome.
    private func compare(_ texts: [[String]], in folder: BenchFolder, expectConflict: Bool) throws -> (engine: Double, git: Double) {
        let field = RecordSchema.cell.field("assessment")!
        let record = RecordID.random()
        let baseDot = Dot(replica: ReplicaID.random(), counter: 1)
        let versions = texts.enumerated().map { index, lines in
            Version(dot: index == 0 ? baseDot : Dot(replica: ReplicaID.random(), counter: 1),
                    context: index == 0 ? VersionVector() : VersionVector([baseDot.replica: 1]), record: record, kind: "cell",
                    field: "assessment", value: .text(lines.joined(separator: "\n")), author: "bench", time: Int64(index))
        }
        let gitPath = "/usr/bin/git"
        guard FileManager.default.isExecutableFile(atPath: gitPath) else { throw BenchError("git is the reference here and is not installed: apt-get install git") }
        var engine: [Double] = [], git: [Double] = []
        let paths = ["base", "ours", "theirs"].map { folder.path("\($0).txt") }
        for (path, lines) in zip(paths, texts) { try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8) }
        for _ in 0..<runs {
            var merged: MergedField?
            engine.append(measure { merged = FieldMerge.merge(record: record, field: field, heads: Array(versions.dropFirst()), base: versions[0]) } * 1000)
            guard (merged?.conflict != nil) == expectConflict else { throw BenchError("the engine's merge did not end as expected") }
            let result = try runTimed(gitPath, ["merge-file", "-p", "-q", paths[1], paths[0], paths[2]], allowFailure: true)
            git.append(result.seconds * 1000)
        }
        return (engine.sorted()[runs / 2], git.sorted()[runs / 2])
    }

    /// A sync that merges the field on both sides (bob's push merges on the server, alice's
    /// version merges on bob's replica) and, as reference, bob's earlier sync that pulled it.
    private func syncs(base: [String], ours: [String], theirs: [String], in folder: BenchFolder) throws
        -> (merging: TimedRun, plain: TimedRun, serverPeak: Int, serverPlainPeak: Int) {
        let serverStore = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        let tokens = try ["alice", "bob"].map { name in
            let token = TokenHasher.makeToken(analyst: name)
            try serverStore.addAnalyst(name: name, tokenHash: TokenHasher.hash(token), at: 0)
            return token
        }
        try serverStore.close()
        let server = try BenchServer(database: folder.path("server.sqlite"))
        defer { server.stop() }
        let (alice, bob) = (folder.path("alice.sqlite"), folder.path("bob.sqlite"))
        for (replica, token) in zip([alice, bob], tokens) {
            _ = try runTimed("sync-client", ["init", "--replica", replica, "--server", server.url, "--token", token])
        }
        for (name, lines) in [("base", base), ("ours", ours), ("theirs", theirs)] {
            try lines.joined(separator: "\n").write(toFile: folder.path("\(name).txt"), atomically: true, encoding: .utf8)
        }
        _ = try runTimed("sync-client", ["cell", "create", "--number", "20", "--title", "Burden-Sharing", "--replica", alice])
        _ = try runTimed("sync-client", ["cell", "set", "20", "assessment", "--file", folder.path("base.txt"), "--replica", alice])
        _ = try runTimed("sync-client", ["sync", "--replica", alice])
        let plain = try runTimed("sync-client", ["sync", "--replica", bob])
        let serverPlainPeak = server.peakMemory
        _ = try runTimed("sync-client", ["cell", "set", "20", "assessment", "--file", folder.path("ours.txt"), "--replica", alice])
        _ = try runTimed("sync-client", ["cell", "set", "20", "assessment", "--file", folder.path("theirs.txt"), "--replica", bob])
        _ = try runTimed("sync-client", ["sync", "--replica", alice])
        let merging = try runTimed("sync-client", ["sync", "--replica", bob])
        guard merging.output.contains("merged cleanly 1") else { throw BenchError("the merging sync did not merge: \(merging.output)") }
        return (merging, plain, server.peakMemory, serverPlainPeak)
    }
}
