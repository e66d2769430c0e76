import ArgumentParser
import Foundation
import LocalStore
import SyncModel

struct AsOf: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "as-of",
        abstract: "History views on a large replica, process start included: cell show --as-of, diff, dashboard --as-of (target < 100 ms), against plain cell show."
    )
    @Option(help: "Versions in the replica.") var versions = 1_000_000
    @Option(help: "Runs; the median is reported.") var runs = 9

    func validate() throws {
        try require("--versions", versions, atLeast: 10)
        try require("--runs", runs, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let path = folder.path("replica.sqlite")
        _ = try BenchFixtures.replica(at: path, versions: versions)
        // Cell 20 was written first; a few edits of it follow, so that history has points to name.
        for trend in ["Steady", "Slipping", "Recovering"] {
            _ = try runTimed("sync-client", ["cell", "set", "20", "trend", trend, "--replica", path])
        }
        let log = try runTimed("sync-client", ["log", "20", "trend", "--json", "--replica", path])
        guard let data = log.output.data(using: .utf8), let entries = try JSONSerialization.jsonObject(with: data) as? [[String: Any]],
              let oldest = entries.last, let replica = oldest["replica"] as? String, let counter = oldest["counter"] as? Int else {
            throw BenchError("log 20 trend gave no versions: \(log.output.prefix(200))")
        }
        let point = "\(replica.prefix(8)):\(counter)"
        let commands: [(String, [String])] = [
            ("cell show, now (reference)", ["cell", "show", "20"]),
            ("cell show --as-of a version", ["cell", "show", "20", "--as-of", point]),
            ("diff of a cell from a version", ["diff", "20", "--from", point]),
            ("dashboard --as-of a date", ["dashboard", "--as-of", "2099"]),
            ("dashboard, now", ["dashboard"]),
        ]
        var medians: [Double] = []
        for (_, arguments) in commands {
            var times: [Double] = []
            for _ in 0..<runs { times.append(try runTimed("sync-client", arguments + ["--replica", path]).seconds * 1000) }
            medians.append(times.sorted()[runs / 2])
        }
        let size = BenchTable().format(Double(versions))
        for index in 1...2 {
            table.add("\(commands[index].0) on \(size) versions", cost: medians[index], reference: medians[0], unit: "ms",
                      referenceName: "cell show, now; target < 100 ms")
        }
        // Every cell of the fixture (a tenth of its versions' count) is on the dashboard.
        table.add("dashboard --as-of on \(size) versions, \(BenchTable().format(Double(versions / 10))) cells", cost: medians[3], reference: medians[4],
                  unit: "ms", referenceName: "dashboard, now; target < 100 ms")

        // A dashboard of the sample's size whose history is the million versions.
        let history = folder.path("history.sqlite")
        let middle = try Self.dashboardHistory(at: history, versions: versions)
        var asOf: [Double] = [], now: [Double] = []
        for _ in 0..<runs {
            asOf.append(try runTimed("sync-client", ["dashboard", "--as-of", middle, "--replica", history]).seconds * 1000)
            now.append(try runTimed("sync-client", ["dashboard", "--replica", history]).seconds * 1000)
        }
        table.add("dashboard --as-of mid-history, 5 cells and 32 signals, \(size) versions", cost: asOf.sorted()[runs / 2], reference: now.sorted()[runs / 2],
                  unit: "ms", referenceName: "dashboard, now; target < 100 ms")
    }

    /// Five cells and 32 signals edited `versions` times in all, a minute apart per batch; returns
    /// the moment halfway through, as `--as-of` takes it.
    static func dashboardHistory(at path: String, versions: Int) throws -> String {
        let replica = try Replica.create(path: path, settings: BenchFixtures.settings)
        let cells = (0..<5).map { _ in RecordID.random() }, signals = (0..<32).map { _ in RecordID.random() }
        var changes: [FieldChange] = []
        for (index, cell) in cells.enumerated() {
            changes += [FieldChange(record: cell, kind: "cell", field: "number", value: .int(Int64(16 + index))),
                        FieldChange(record: cell, kind: "cell", field: "title", value: .text("Cell \(16 + index)"))]
        }
        for (index, signal) in signals.enumerated() {
            changes += [FieldChange(record: signal, kind: "signal", field: "title", value: .text("Signal \(index)")),
                        FieldChange(record: signal, kind: "signal", field: "date", value: .text("2026-0\(1 + index % 9)")),
                        FieldChange(record: signal, kind: "signal", field: "cells", value: .list([String(16 + index % 5)]))]
        }
        let start: Int64 = 1_780_000_000_000
        try replica.write(changes, at: start)
        var written = changes.count, batch: Int64 = 0
        let cellFields = ["trend", "title", "tier"], labels = ["Advancing", "Holding", "Drifting", "Reversing"]
        while written < versions {
            batch += 1
            let count = min(50_000, versions - written)
            let edits = (0..<count).map { index -> FieldChange in
                let step = written + index
                if step % 3 == 0 {
                    return FieldChange(record: signals[step % signals.count], kind: "signal", field: "direction", value: .text(labels[step % labels.count]))
                }
                return FieldChange(record: cells[step % cells.count], kind: "cell", field: cellFields[step % cellFields.count], value: .text("Edit \(step)"))
            }
            try replica.write(edits, at: start + batch * 60_000)
            written += count
        }
        try replica.store.close()
        let middle = Date(timeIntervalSince1970: Double(start + batch / 2 * 60_000) / 1000)
        return ISO8601DateFormatter().string(from: middle)
    }
}
