import ArgumentParser
import Foundation
import LocalStore

struct Refused: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "refused",
        abstract: "`sync-client sync` against a stopped server, process start included (target < 100 ms), against `status` on the same replica."
    )
    @Option(help: "Runs; the median is reported.") var runs = 9

    func validate() throws { try require("--runs", runs, atLeast: 1) }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        // Port 1 of the loopback: nothing listens there, so connecting is refused at once.
        let replica = folder.path("replica.sqlite")
        _ = try runTimed("sync-client", ["init", "--replica", replica, "--server", "http://127.0.0.1:1", "--token", BenchFixtures.settings.token])
        var refused: [Double] = [], status: [Double] = []
        for _ in 0..<runs {
            let sync = try runTimed("sync-client", ["sync", "--replica", replica, "--connect-timeout", "30"], allowFailure: true)
            guard sync.output.contains("connection refused") else { throw BenchError("the sync was not refused: \(sync.output)") }
            refused.append(sync.seconds * 1000)
            status.append(try runTimed("sync-client", ["status", "--replica", replica]).seconds * 1000)
        }
        table.add("sync against a stopped server, process start included", cost: refused.sorted()[runs / 2], reference: status.sorted()[runs / 2],
                  unit: "ms", referenceName: "`status`, no network; target < 100 ms")
    }
}
