import ArgumentParser
import Foundation
import GRDB
import LocalStore
import SyncModel

struct Flat: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "flat",
        abstract: "Apply cost and sync round trip in a small and a large store (target: at most 1.5x), and a no-op sync with few and many replicas (target: 1,000 at most 1.1x of 10)."
    )
    @Option(help: "Versions in the small store.") var small = 10_000
    @Option(help: "Versions in the large store.") var large = 1_000_000
    @Option(help: "Replicas the server knows in the many-replicas case.") var replicas = 1_000
    @Option(help: "Versions applied to measure the apply cost.") var applied = 5_000
    @Option(help: "Versions of one record in the long-history case.") var longHistory = 10_000
    @Option(help: "No-op syncs timed in each case; the median is reported (many, as each is about a millisecond).") var rounds = 101

    func validate() throws {
        for (option, value) in [("--small", small), ("--large", large), ("--replicas", replicas), ("--applied", applied), ("--long-history", longHistory), ("--rounds", rounds)] {
            try require(option, value, atLeast: 1)
        }
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        var apply: [(microseconds: Double, pages: PageCounts)] = []
        var concurrent: [(microseconds: Double, pages: PageCounts)] = []
        var roundTrip: [Double] = []
        var plain: [(microseconds: Double, pages: PageCounts)] = []
        for size in [small, large] {
            let folder = try BenchFolder()
            let (store, unsynced, other) = try Self.applyFixtures(versions: size, in: folder)
            apply.append(try Self.applyCost(into: store, from: other, count: applied))
            concurrent.append(try Self.applyCost(into: unsynced, from: Replica.inMemory(analyst: "bob"), count: applied))
            roundTrip.append(try await NoOpSync.measure(replicas: 2, rounds: rounds, seedFrom: store).microseconds)
            plain.append(try PlainSQLite.updateCost(rows: size, count: applied, path: folder.path("plain.sqlite")))
        }
        let label = { (count: Int) in BenchTable().format(Double(count)) }
        table.add("apply one version into \(label(large)) versions", cost: apply[1].microseconds, reference: apply[0].microseconds, unit: "µs",
                  referenceName: "\(label(small)) versions")
        table.add("  pages read from the file per version", cost: apply[1].pages.read, reference: apply[0].pages.read, unit: "", referenceName: "\(label(small)) versions")
        table.add("  pages written per version", cost: apply[1].pages.written, reference: apply[0].pages.written, unit: "", referenceName: "\(label(small)) versions")
        table.add("  such edits made without a sync (each a conflict)", cost: concurrent[1].microseconds, reference: concurrent[0].microseconds, unit: "µs",
                  referenceName: "\(label(small)) versions")
        table.add("  their pages read / written per version", value: "\(concurrent[1].pages.label)", target: "\(concurrent[0].pages.label) (\(label(small)) versions)")
        table.add("  plain SQLite: update a random row of \(label(large))", cost: plain[1].microseconds, reference: plain[0].microseconds, unit: "µs",
                  referenceName: "\(label(small)) rows")
        table.add("  its pages written per row", cost: plain[1].pages.written, reference: plain[0].pages.written, unit: "", referenceName: "\(label(small)) rows")
        table.add("no-op sync round trip, \(label(large)) versions", cost: roundTrip[1], reference: roundTrip[0], unit: "µs", referenceName: "\(label(small)) versions", digits: 0)
        let folder = try BenchFolder()
        let short = try HistoryScenario.microsecondsPerVersion(history: 10, applied: 2_000, path: folder.path("history-short.sqlite"))
        let long = try HistoryScenario.microsecondsPerVersion(history: longHistory, applied: 2_000, path: folder.path("history-long.sqlite"))
        table.add("apply one version, record with \(label(longHistory)) versions", cost: long, reference: short, unit: "µs", referenceName: "10 versions")
        let few = try await NoOpSync.measure(replicas: 10, rounds: rounds)
        let many = try await NoOpSync.measure(replicas: replicas, rounds: rounds)
        table.add("no-op sync round trip, \(label(replicas)) replicas known", cost: many.microseconds, reference: few.microseconds, unit: "µs", referenceName: "10 replicas", digits: 0)
        table.add("no-op sync bytes, \(label(replicas)) replicas known", cost: Double(many.bytes), reference: Double(few.bytes), unit: "B", referenceName: "10 replicas", digits: 0)
    }

    /// Three replica files in `folder` holding the same `versions` of alice's: `store` and
    /// `unsynced`, which take another analyst's edits made after a sync and without one, and
    /// `other`, bob's replica after a sync (a copy of hers under an id of his own), which makes the first.
    static func applyFixtures(versions: Int, in folder: BenchFolder) throws -> (store: Replica, unsynced: Replica, other: Replica) {
        let built = try BenchFixtures.replica(at: folder.path("store.sqlite"), versions: versions, analyst: "alice")
        try built.store.close()
        try FileManager.default.copyItem(atPath: folder.path("store.sqlite"), toPath: folder.path("unsynced.sqlite"))
        let other = try BenchFixtures.otherAnalyst(copying: folder.path("store.sqlite"), to: folder.path("bob.sqlite"), analyst: "bob")
        return (try Replica.open(path: folder.path("store.sqlite")), try Replica.open(path: folder.path("unsynced.sqlite")), other)
    }

    /// Microseconds per version to apply `count` edits `other` makes to `count / 5` of the
    /// store's records (the same shape whatever the store's size; other records in each run), in
    /// pages of 500 as a sync delivers them, and to copy them from the write-ahead log into the
    /// file, where every sync's pages end: the median of three runs, as one run on a shared
    /// machine is noisy; with the pages SQLite read from the file (its page cache's misses) and
    /// wrote, per version. An `other` holding the store's versions supersedes the heads it
    /// edits, as an analyst who synced does; one holding none makes every edit a conflict.
    static func applyCost(into store: Replica, from other: Replica, count: Int, runs: Int = 3) throws -> (microseconds: Double, pages: PageCounts) {
        let perRun = max(1, count / 5)
        let records = try store.store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT uuid FROM record ORDER BY random() LIMIT ?", arguments: [perRun * runs]).compactMap(RecordID.init)
        }
        let fields = ["title", "trend", "tier"]
        try store.store.writer.checkpointIntoTheFile()
        var costs: [Double] = []
        let before = try PageCounts(store)
        for run in 0..<runs {
            let touched = records.dropFirst(max(0, min(run * perRun, records.count - perRun))).prefix(perRun)
            let changes = (0..<count).map { index in
                FieldChange(record: touched[touched.startIndex + index % touched.count], kind: "cell", field: fields[index % 3], value: .text("Bob's edit \(run).\(index)"))
            }
            let incoming = try other.write(changes, at: WallClock.now())
            let elapsed = try measure {
                for start in stride(from: 0, to: incoming.count, by: 500) {
                    try store.store.apply(Array(incoming[start..<min(start + 500, incoming.count)]))
                }
                try store.store.writer.checkpointIntoTheFile()
            }
            costs.append(elapsed * 1e6 / Double(incoming.count))
        }
        let after = try PageCounts(store)
        let applied = Double(runs * count)
        let perVersion = PageCounts(read: (after.read - before.read) / applied, written: (after.written - before.written) / applied)
        return (costs.sorted()[costs.count / 2], perVersion)
    }
}
