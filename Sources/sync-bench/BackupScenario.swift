import ArgumentParser
import Foundation
import LocalStore
import SyncProtocol
import SyncServerCore

/// `sync-server backup`'s two candidate copies of a serving store (SQLite's online backup API
/// and `VACUUM INTO`), each taken while clients push to the real server: how long the copy
/// takes and what it does to the pushes' throughput, against pushes with no backup running.
struct BackupBench: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "A backup of a serving store while clients push, by each method: its time, and the pushes' throughput against none."
    )
    @Option(help: "Versions in the store before the backups.") var versions = 100_000
    @Option(help: "Clients pushing at once.") var clients = 10
    @Option(help: "Versions pushed during each backup (and in each round without one): enough for the pushes to outlast the backup.") var pushed = 400_000

    func validate() throws {
        try require("--clients", clients, atLeast: 1)
        try require("--versions (one or more per client)", versions, atLeast: clients)
        try require("--pushed (one or more per client)", pushed, atLeast: clients)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let path = folder.path("server.sqlite")
        let initial = try ServerMerge.pushes(clients: clients, versions: versions, pageSize: SyncSession.defaultPageSize)
        let methods = SQLiteServerStore.BackupMethod.allCases
        // Each method twice, in the order A B B A, so that the store's growth favours neither.
        let order = methods + methods.reversed()
        // A round with no backup first and last (their mean is the reference, so the store's
        // growth favours neither side), one per backup between; new replicas each round.
        let rounds = try (0..<(order.count + 2)).map { _ in
            try ServerMerge.pushes(clients: clients, versions: pushed, pageSize: 1_000).enumerated().map { index, push in
                var push = push
                push.token = initial[index].token
                return push
            }
        }
        let setup = try SQLiteServerStore.open(path: path)
        for push in initial { try setup.addAnalyst(name: push.analyst, tokenHash: TokenHasher.hash(push.token), at: 0) }
        try setup.close()
        let server = try BenchServer(database: path)
        defer { server.stop() }
        _ = try await ServerMerge.send(initial, to: [server.url])
        let perRound = Double(pushed / clients * clients)
        let before = perRound / (try await ServerMerge.send(rounds[0], to: [server.url]))
        var rows: [(summary: BackupSummary?, method: SQLiteServerStore.BackupMethod, seconds: Double, during: Double)] = []

        let store = try SQLiteServerStore.open(path: path, create: false)
        for (index, method) in order.enumerated() {
            let round = rounds[index + 1]
            let url = server.url
            // The backup starts as the pushes do, and the pushes outlast it.
            let pushing = Task { try await ServerMerge.send(round, to: [url]) }
            await Task.yield()
            let target = folder.path("backup-\(index)-\(method.rawValue).sqlite")
            var summary: BackupSummary?
            let seconds = try await SyncBench.measure {
                summary = try store.backup(to: target, force: false, at: 0, method: method)
            }
            rows.append((summary, method, seconds, perRound / (try await pushing.value)))
        }
        let after = perRound / (try await ServerMerge.send(rounds[order.count + 1], to: [server.url]))
        let alone = (before + after) / 2
        for row in rows {
            let size = Double(row.summary?.bytes ?? 0) / 1_048_576
            table.add("backup (\(row.method.rawValue)) of \(row.summary?.versions ?? 0) versions while \(clients) clients push, \(String(format: "%.0f", size)) MiB",
                      value: String(format: "%.2f s", row.seconds), target: "copied, checked and in place")
            table.add("pushes during the \(row.method.rawValue) backup", rate: row.during, reference: alone, unit: "versions/s",
                      referenceName: "no backup running, before and after")
        }
        // The same store for both, with nothing pushing: the methods' own cost, compared fairly.
        for method in methods {
            var summary: BackupSummary?
            let seconds = try await SyncBench.measure {
                summary = try store.backup(to: folder.path("quiet-\(method.rawValue).sqlite"), force: false, at: 0, method: method)
            }
            let size = Double(summary?.bytes ?? 0) / 1_048_576
            table.add("backup (\(method.rawValue)) of the same \(summary?.versions ?? 0) versions, nothing pushing, \(String(format: "%.0f", size)) MiB",
                      value: String(format: "%.2f s", seconds), target: "copied, checked and in place")
        }
        try? store.close()
    }
}
