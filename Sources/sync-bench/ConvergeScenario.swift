import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol
import SyncServerCore

/// Several analysts edit the same cells offline, one field per transaction, then sync through
/// the real server until every replica holds the same state: the path a team waits on after a
/// day apart, and the one history-free CRDT stacks are compared on.
struct Converge: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "converge",
        abstract: "Replicas editing the same cells offline (one field per transaction), then syncing through the real sync-server until all agree."
    )
    @Option(help: "Replicas, one analyst each.") var replicas = 3
    @Option(help: "Single-field edits on each replica, each its own transaction.") var edits = 10_000
    @Option(help: "Cells the edits are spread over.") var cells = 20

    func validate() throws {
        try require("--replicas", replicas, atLeast: 2)
        try require("--edits", edits, atLeast: 1)
        try require("--cells", cells, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let names = (0..<replicas).map { (name: "analyst\($0)", token: TokenHasher.makeToken(analyst: "analyst\($0)")) }
        let store = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        for analyst in names { try store.addAnalyst(name: analyst.name, tokenHash: TokenHasher.hash(analyst.token), at: 0) }
        try store.close()
        let server = try BenchServer(database: folder.path("server.sqlite"))
        defer { server.stop() }

        // Every analyst starts from the same cells, synced before the day apart.
        var team: [(replica: Replica, settings: EffectiveSettings)] = []
        for analyst in names {
            let saved = ReplicaSettings(server: server.url, token: analyst.token, analyst: analyst.name)
            let replica = try Replica.create(path: folder.path("\(analyst.name).sqlite"), settings: saved)
            team.append((replica, EffectiveSettings(saved: saved, server: nil, token: nil, caFile: nil, environment: [:])))
        }
        let records = (0..<cells).map { _ in RecordID.random() }
        try team[0].replica.write(records.enumerated().map { FieldChange(record: $1, kind: "cell", field: "number", value: .int(Int64($0 + 1))) }, at: 0)
        for member in team + team { _ = try await ReplicaSync().run(replica: member.replica, settings: member.settings) }

        let work = (0..<replicas).map { Self.edits(edits, over: records, seed: UInt64($0)) }
        let plain = try PlainSQLite.insertEach(work.flatMap { $0 }, path: folder.path("plain.sqlite"))

        // The day apart: each replica's edits in its own task, as three laptops would.
        let editing = try await SyncBench.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (member, changes) in zip(team, work) {
                    group.addTask {
                        for (offset, change) in changes.enumerated() { try member.replica.write([change], at: Int64(offset)) }
                    }
                }
                try await group.waitForAll()
            }
        }
        // Back on the network: every replica syncs at once, then again until none receives anything.
        var rounds = 0
        let syncing = try await SyncBench.measure {
            while true {
                rounds += 1
                let received = try await withThrowingTaskGroup(of: Int.self) { group in
                    for member in team {
                        group.addTask { try await ReplicaSync().run(replica: member.replica, settings: member.settings).stats.received }
                    }
                    return try await group.reduce(0, +)
                }
                if received == 0 && rounds > 1 { break }
                guard rounds < 10 else { throw BenchError("the replicas had not converged after 10 rounds of syncs") }
            }
        }
        let dumps = try team.map { try $0.replica.store.canonicalDump() }
        guard Set(dumps).count == 1 else { throw BenchError("the replicas did not converge: their canonical dumps differ") }
        let conflicts = try team[0].replica.store.conflicts().count
        let total = replicas * edits
        table.add("converge: \(replicas) replicas × \(edits) single-field edits over \(cells) cells, then syncs",
                  cost: (editing + syncing) * 1000, reference: plain * 1000, unit: "ms",
                  referenceName: "plain SQLite committing the \(total) rows one by one", digits: 0)
        table.add("  of which the edits", cost: editing * 1000, reference: plain * 1000, unit: "ms", referenceName: "same plain SQLite", digits: 0)
        table.add("  of which \(rounds) rounds of syncs (\(conflicts) conflicts kept)", value: String(format: "%.0f ms", syncing * 1000), target: "target: the whole ≤ ¼ of the same scenario on the commit before the layout work")
    }

    /// `count` single-field edits of `records`' titles, trajectories and tiers.
    static func edits(_ count: Int, over records: [RecordID], seed: UInt64) -> [FieldChange] {
        var random = BenchRandom(seed: seed + 11)
        let labels = ["Advancing", "Holding", "Drifting", "Reversing"]
        return (0..<count).map { index in
            let record = records[Int(random.next() % UInt64(records.count))]
            switch random.next() % 3 {
            case 0: return FieldChange(record: record, kind: "cell", field: "title", value: .text("Title \(index) of \(seed)"))
            case 1: return FieldChange(record: record, kind: "cell", field: "trajectory", value: .text(labels[index % 4]))
            default: return FieldChange(record: record, kind: "cell", field: "tier", value: .text("Tier \(index % 5)"))
            }
        }
    }
}
