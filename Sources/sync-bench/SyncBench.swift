import ArgumentParser
import Foundation
import GRDB
import LocalStore
import SyncModel
import SyncProtocol

@main
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-bench",
        abstract: "Measures each performance target of the engine next to a reference measured in the same run.",
        discussion: """
            Build every product in release mode first, as deployed (the process scenarios run the real
            binaries, and `cell-set` times their start, which Swift's shared libraries double):
              swift build -c release --static-swift-stdlib && .build/release/sync-bench all
            Each scenario is also a command of its own, e.g. `sync-bench first-sync --versions 100000`.
            """,
        subcommands: [All.self, LocalWrites.self, FirstSync.self, ServerMerge.self, Wire.self, Flat.self, CellSet.self, LargeMerge.self, Refused.self, AsOf.self, WebBench.self, BigBodies.self, PostgresBench.self, BundleBench.self, BackupBench.self, MetricsBench.self, CompartmentBench.self, LiveBench.self, Converge.self, ShallowJoinBench.self, Links.self],
        defaultSubcommand: All.self
    )
}

/// What every scenario does: adds its rows to a table.
protocol Scenario {
    func run(into table: inout BenchTable) async throws
}

extension Scenario where Self: AsyncParsableCommand {
    func runAlone() async throws {
        // The references get the same SQLite configuration as the engine's stores.
        Store.configureSQLite()
        var table = BenchTable()
        try await run(into: &table)
        print(table.render())
    }
}

struct All: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Fourteen scenarios at their default size (about six minutes); postgres, backup, metrics, live, shallow-join and links run on their own.")

    @Option(help: "Versions in the large stores (first sync, flat cost, cell set).") var versions = 1_000_000

    func validate() throws { try require("--versions", versions, atLeast: 1) }

    func run() async throws {
        Store.configureSQLite()
        var table = BenchTable()
        // Each scenario parsed from its own options, so it runs exactly as its command would
        let size = ["--versions", String(versions)]
        try await LocalWrites.parse([]).run(into: &table)
        try await Wire.parse([]).run(into: &table)
        try await FirstSync.parse(size).run(into: &table)
        try await ServerMerge.parse([]).run(into: &table)
        try await Flat.parse(["--large", String(versions)]).run(into: &table)
        try await CellSet.parse(size).run(into: &table)
        try await LargeMerge.parse([]).run(into: &table)
        try await Refused.parse([]).run(into: &table)
        try await AsOf.parse(size).run(into: &table)
        try await WebBench.parse(size).run(into: &table)
        try await BigBodies.parse([]).run(into: &table)
        try await BundleBench.parse(size).run(into: &table)
        try await CompartmentBench.parse([]).run(into: &table)
        try await Converge.parse([]).run(into: &table)
        print(table.render())
    }
}

struct LocalWrites: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(commandName: "local-writes", abstract: "Field writes into a replica vs plain SQLite inserts (target ≥ 1/3 batched, ≥ 1/2 single).")
    @Option(help: "Field writes in one transaction.") var writes = 50_000
    @Option(help: "Writes each in its own transaction.") var singleWrites = 2_000
    @Option(help: "Rounds, each on fresh files; every figure is the median of its rounds.") var rounds = 5

    func validate() throws {
        guard writes >= 1, (1...writes).contains(singleWrites) else {
            throw ValidationError("--single-writes must be between 1 and --writes (\(writes)): the single writes are the first of those rows")
        }
        try require("--rounds", rounds, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let rows = Workload.changes(count: writes)
        let singleRows = Array(rows.prefix(singleWrites))
        // Seconds per round: plain batch, replica batch, plain single, replica single.
        var timings: [[Double]] = []
        for _ in 0..<rounds {
            let folder = try BenchFolder()
            let plainBatch = try PlainSQLite.insertAll(rows, path: folder.path("plain-batch.sqlite"))
            let replica = try Replica.create(path: folder.path("batch.sqlite"), settings: BenchFixtures.settings)
            let batch = try measure { try replica.write(rows, at: WallClock.now()) }
            let plainSingle = try PlainSQLite.insertEach(singleRows, path: folder.path("plain-single.sqlite"))
            let singleReplica = try Replica.create(path: folder.path("single.sqlite"), settings: BenchFixtures.settings)
            let single = try measure {
                for row in singleRows { try singleReplica.write([row], at: WallClock.now()) }
                try singleReplica.foldLog()
            }
            timings.append([plainBatch, batch, plainSingle, single])
        }
        let median = { (column: Int) in timings.map { $0[column] }.sorted()[timings.count / 2] }
        table.add("local writes, one transaction", rate: Double(writes) / median(1), reference: Double(writes) / median(0), unit: "writes/s", referenceName: "plain SQLite")
        table.add("local writes, one transaction each", rate: Double(singleRows.count) / median(3), reference: Double(singleRows.count) / median(2), unit: "writes/s", referenceName: "plain SQLite")
    }
}

func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return seconds(ContinuousClock.now - start)
}

extension SyncBench {
    static func measure(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        return seconds(ContinuousClock.now - start)
    }
}

/// Refuses an option below `minimum` before a scenario builds anything.
func require(_ option: String, _ value: Int, atLeast minimum: Int) throws {
    guard value >= minimum else { throw ValidationError("\(option) must be at least \(minimum), not \(value)") }
}

/// Refuses a page size the client and the server would refuse, before a scenario builds anything.
func requirePageSize(_ value: Int) throws {
    guard SyncSession.pageSizes.contains(value) else {
        throw ValidationError("--page-size must be between \(SyncSession.pageSizes.lowerBound) and \(SyncSession.pageSizes.upperBound), not \(value)")
    }
}

extension DatabaseWriter {
    /// Copies every page of the write-ahead log into the file and empties the log, as closing the
    /// last connection does: what a write costs in the end, whenever the checkpoint comes.
    func checkpointIntoTheFile() throws {
        try writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
