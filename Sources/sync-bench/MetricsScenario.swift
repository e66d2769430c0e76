import ArgumentParser
import AsyncHTTPClient
import Foundation
import LocalStore
import NIOCore
import NIOHTTP1
import SyncHTTP
import SyncProtocol
import SyncServerCore

/// What `--metrics-port` costs: the real server's merge throughput with metrics on against
/// off (same pushes' volume, same run), and a `/metrics` scrape's time on the store it filled.
struct MetricsBench: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Server merge throughput with /metrics on against off (target ≥ 0.97), and a scrape's time (target < 50 ms)."
    )
    @Option(help: "Clients pushing at once.") var clients = 10
    @Option(help: "Versions pushed in each run.") var versions = 100_000
    @Option(help: "Scrapes timed; the median is shown.") var scrapes = 20

    func validate() throws {
        try require("--clients", clients, atLeast: 1)
        try require("--versions (one or more per client)", versions, atLeast: clients)
        try require("--scrapes", scrapes, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        var rates: [Bool: Double] = [:]
        var scrape = 0.0
        for withMetrics in [false, true] {
            let path = folder.path(withMetrics ? "metrics-on.sqlite" : "metrics-off.sqlite")
            let pushes = try ServerMerge.pushes(clients: clients, versions: versions, pageSize: SyncSession.defaultPageSize)
            let setup = try SQLiteServerStore.open(path: path)
            for push in pushes { try setup.addAnalyst(name: push.analyst, tokenHash: TokenHasher.hash(push.token), at: 0) }
            try setup.close()
            let metricsPort = withMetrics ? Int.random(in: 20_000...40_000) : nil
            let server = try BenchServer(database: path, arguments: metricsPort.map { ["--metrics-port", String($0)] } ?? [])
            defer { server.stop() }
            rates[withMetrics] = Double(versions / clients * clients) / (try await ServerMerge.send(pushes, to: [server.url]))
            if let metricsPort { scrape = try await Self.medianScrape("http://127.0.0.1:\(metricsPort)/metrics", times: scrapes) }
            server.stop()
        }
        table.add("server merge with /metrics on, \(clients) clients pushing", rate: rates[true] ?? 0, reference: rates[false] ?? 1,
                  unit: "versions/s", referenceName: "metrics off; target ratio ≥ 0.97")
        table.add("GET /metrics on that store (\(versions) versions), median of \(scrapes)", value: String(format: "%.1f ms", scrape * 1000), target: "< 50 ms")
    }

    /// The median seconds of `times` scrapes of `url`, each read whole.
    static func medianScrape(_ url: String, times: Int) async throws -> Double {
        let client = try HTTPTransport.makeClient()
        var seconds: [Double] = []
        do {
            for _ in 0..<times {
                seconds.append(try await SyncBench.measure {
                    let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 16 << 20)
                    guard response.status == .ok, body.readableBytes > 100 else { throw BenchError("\(url) answered \(response.status)") }
                })
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return seconds.sorted()[seconds.count / 2]
    }
}
