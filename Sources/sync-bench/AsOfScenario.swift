import ArgumentParser
import Foundation
import LocalStore

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
    }
}
