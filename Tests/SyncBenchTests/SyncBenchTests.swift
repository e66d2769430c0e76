import Foundation
import LocalStore
@testable import sync_bench
import Testing
import ArgumentParser
import SyncModel

/// The benchmark's own parts: its table, its workload, its option checks, and one small run of a
/// scenario on real files. Figures are not checked (a timed test is flaky on a shared machine);
/// that a run produces them, and how they are printed, is.
@Suite struct SyncBenchTests {
    @Test func aRateRowPrintsThousandsAndTheRatioOfMeasuredToReference() {
        var table = BenchTable()
        table.add("local writes", rate: 1_234_567.4, reference: 2_469_134.8, unit: "writes/s", referenceName: "plain SQLite")
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("scenario"))
        #expect(lines[1] == "local writes | 1,234,567 writes/s | 2,469,135 writes/s (plain SQLite) | 0.50")
    }

    @Test func aCostRowWithoutAReferenceHasNoRatioAndColumnsLineUp() {
        var table = BenchTable()
        table.add("apply one version", cost: 73.84, reference: 23.8, unit: "µs", referenceName: "10,000 versions")
        table.add("pages read", cost: 1.1, reference: 0, unit: "", referenceName: "10,000 versions")
        table.add("wire size", value: "21.0 B", target: "target ≤ 32 B")
        table.add("pages read, tiny reference", cost: 0.5, reference: 0.008, unit: "", referenceName: "10,000 versions")
        table.add("pages written", cost: 2.1, reference: 0.06, unit: "", referenceName: "10,000 versions")
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines[1].hasSuffix("| 3.10"))
        #expect(lines[2].hasSuffix("| –"))
        #expect(!lines[3].hasSuffix(" "), "trailing padding is trimmed")
        #expect(lines[4].contains("| 0.0 (10,000 versions)") && lines[4].hasSuffix("| –"), "a reference printed as 0.0 has no ratio")
        #expect(lines[5].contains("| 0.1 (10,000 versions)") && lines[5].hasSuffix("| 35.00"), "the ratio is of the measured values")
        let bars = lines.map { line in line.indices.filter { line[$0] == "|" }.map { line.distance(from: line.startIndex, to: $0) } }
        #expect(bars.dropFirst().allSatisfy { $0.prefix(2) == bars[0].prefix(2) }, "the first two columns are padded to one width")
    }

    @Test func theWorkloadIsTheSameForASeedAndSpreadOverATenthAsManyRecords() {
        let first = Workload.changes(count: 400), again = Workload.changes(count: 400), other = Workload.changes(count: 400, seed: 2)
        #expect(first.map(\.record) == again.map(\.record) && first.map(\.field) == again.map(\.field))
        #expect(first.map(\.record) != other.map(\.record), "another seed picks other records")
        #expect(Set(first.map(\.record)).count <= 40)
        #expect(Set(first.map(\.field)) == ["title", "trend", "tier", "number"])
        #expect(Set(Workload.changes(count: 400, numbered: false).map(\.field)) == ["title", "trend", "tier"])
    }

    /// Each case: a scenario, options it must refuse before it builds anything, and the same
    /// options in range, which it accepts (so a refusal is the value's, not a misspelt option's).
    @Test("bad options are refused before anything runs", arguments: [
        ("local-writes", ["--single-writes", "0"], ["--single-writes", "1"]),
        ("local-writes", ["--writes", "10", "--single-writes", "11"], ["--writes", "10", "--single-writes", "10"]),
        ("local-writes", ["--rounds", "0"], ["--rounds", "1"]),
        ("all", ["--versions", "0"], ["--versions", "1"]),
        ("cell-set", ["--versions", "0"], ["--versions", "1"]),
        ("cell-set", ["--runs", "0"], ["--runs", "1"]),
        ("first-sync", ["--versions", "0"], ["--versions", "1"]),
        ("first-sync", ["--page-size", "0"], ["--page-size", "1"]),
        ("first-sync", ["--page-size", "20001"], ["--page-size", "20000"]),
        ("server-merge", ["--clients", "0"], ["--clients", "1"]),
        ("server-merge", ["--clients", "10", "--versions", "9"], ["--clients", "10", "--versions", "10"]),
        ("server-merge", ["--page-size", "0"], ["--page-size", "1"]),
        ("wire", ["--edits", "0"], ["--edits", "1"]),
        ("flat", ["--small", "0"], ["--small", "1"]),
        ("flat", ["--large", "0"], ["--large", "1"]),
        ("flat", ["--replicas", "0"], ["--replicas", "1"]),
        ("flat", ["--applied", "0"], ["--applied", "1"]),
        ("flat", ["--long-history", "0"], ["--long-history", "1"]),
        ("flat", ["--rounds", "0"], ["--rounds", "1"]),
        ("big-bodies", ["--signals", "0"], ["--signals", "1"]),
        ("big-bodies", ["--runs", "0"], ["--runs", "1"]),
        ("converge", ["--replicas", "1"], ["--replicas", "2"]),
        ("converge", ["--edits", "0"], ["--edits", "1"]),
        ("converge", ["--cells", "0"], ["--cells", "1"]),
        ("links", ["--join-cells", "0"], ["--join-cells", "1"]),
        ("links", ["--join-versions", "399"], ["--join-versions", "400"]),
    ])
    func badOptionsAreRefused(scenario: String, bad: [String], good: [String]) {
        #expect(throws: (any Error).self) { try SyncBench.parseAsRoot([scenario] + bad) }
        #expect(throws: Never.self) { try SyncBench.parseAsRoot([scenario] + good) }
    }

    /// `flat` times edits made after a sync (each supersedes what it overwrites) and edits made
    /// without one (each a conflict): the fixtures must give exactly that.
    @Test func applyCostTimesEditsAfterASyncWithoutConflictsAndEditsWithoutOneAsConflicts() throws {
        Store.configureSQLite()
        let folder = try BenchFolder()
        let (store, unsynced, other) = try Flat.applyFixtures(versions: 400, in: folder)
        #expect(other.id != store.id && other.analyst == "bob")
        #expect(try other.store.versionVector() == store.store.versionVector(), "bob's copy holds every version of alice's")
        let seen = try Flat.applyCost(into: store, from: other, count: 50)
        #expect(try store.store.conflicts().isEmpty)
        #expect(try store.store.versionVector().total == 400 + 150, "three runs of 50 edits")
        let concurrent = try Flat.applyCost(into: unsynced, from: Replica.inMemory(analyst: "bob"), count: 50)
        #expect(try !unsynced.store.conflicts().isEmpty, "bob's edits, made without alice's versions, are concurrent with hers")
        for cost in [seen, concurrent] {
            #expect(cost.microseconds > 0 && cost.microseconds.isFinite && cost.pages.written > 0, "\(cost)")
        }
    }

    @Test func aSmallLocalWritesRunMeasuresBothRowsAgainstTheirReferences() async throws {
        Store.configureSQLite()
        var table = BenchTable()
        try await LocalWrites.parse(["--writes", "300", "--single-writes", "30", "--rounds", "1"]).run(into: &table)
        let rows = table.render().split(separator: "\n").dropFirst().map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        #expect(rows.map { $0[0] } == ["local writes, one transaction", "local writes, one transaction each"])
        for row in rows {
            let ratio = try #require(Double(row[3]))
            #expect(ratio > 0 && ratio.isFinite, "\(row)")
            #expect(row[2].hasSuffix("writes/s (plain SQLite)"))
        }
    }

    /// The converge scenario edits the same fields on every replica: the syncs must keep those
    /// conflicts and leave every replica with the same dump (the scenario throws otherwise).
    @Test func aSmallConvergeRunEndsWithEveryReplicaAlikeAndItsConflictsKept() async throws {
        Store.configureSQLite()
        var table = BenchTable()
        try await Converge.parse(["--edits", "60", "--cells", "2"]).run(into: &table)
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines.count == 4 && lines[1].contains("3 replicas × 60 single-field edits over 2 cells"), "\(lines)")
        // Two cells' three fields, edited on three replicas apart: every field ends in conflict.
        #expect(lines[3].contains("(6 conflicts kept)"), "\(lines)")
    }

    /// Reads over signals with bodies are timed next to the same reads without: a small run
    /// gives all four rows, and the replica it builds holds the bodies the rows claim.
    @Test func aSmallBigBodiesRunMeasuresEachReadAgainstEmptyBodies() async throws {
        Store.configureSQLite()
        let folder = try BenchFolder()
        let replica = try BigBodies.replica(at: folder.path("r.sqlite"), signals: 20, bodyBytes: 5_000)
        let bodies = try replica.store.records(kind: "signal").compactMap { $0.text("body") }
        #expect(bodies.count == 20 && bodies.allSatisfy { $0.utf8.count == 5_000 })
        #expect(try replica.store.records(kind: "signal", fields: ["title"]).allSatisfy { $0.fields["body"] == nil }, "summaries leave bodies unread")
        var table = BenchTable()
        try await BigBodies.parse(["--signals", "20", "--body-bytes", "5000", "--runs", "1"]).run(into: &table)
        let rows = table.render().split(separator: "\n").dropFirst().map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        #expect(rows.map { $0[0] } == ["dashboard, 20 signals of 5 KB", "cell show of the cell carrying them, 20 signals of 5 KB",
                                       "cell show of another cell, 20 signals of 5 KB", "web cell page of the cell carrying them, 20 signals of 5 KB"])
        #expect(rows.allSatisfy { $0[2].hasSuffix("ms (empty bodies; target < 50 ms)") }, "\(rows)")
    }
}
