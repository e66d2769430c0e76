import Foundation
import LocalStore
@testable import sync_bench
import Testing

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
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines[1].hasSuffix("| 3.10"))
        #expect(lines[2].hasSuffix("| –"))
        #expect(!lines[3].hasSuffix(" "), "trailing padding is trimmed")
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

    @Test("bad options are refused before anything runs", arguments: [
        ["--single-writes", "0"], ["--writes", "10", "--single-writes", "11"], ["--rounds", "0"],
    ])
    func localWritesRefusesBadOptions(arguments: [String]) {
        #expect(throws: (any Error).self) { try LocalWrites.parse(arguments) }
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
}
