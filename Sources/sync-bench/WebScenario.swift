import ArgumentParser
import AsyncHTTPClient
import Foundation
import LocalStore
import NIOCore
import NIOHTTP1
import Hummingbird
import SyncClientCore
import WebDashboard

struct WebBench: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "sync-client web's pages over HTTP on a replica whose history is a million versions: the dashboard and a cell page (target < 50 ms each), against the terminal dashboard rendered from the same replica."
    )
    @Option(help: "Versions in the replica.") var versions = 1_000_000
    @Option(help: "Requests per page; the median is reported.") var runs = 21

    func validate() throws {
        try require("--versions", versions, atLeast: 100)
        try require("--runs", runs, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let path = folder.path("history.sqlite")
        _ = try AsOf.dashboardHistory(at: path, versions: versions)
        let replica = try Replica.open(path: path)
        // The reference: the terminal dashboard from the same replica, in this process.
        var reference: [Double] = []
        for _ in 0..<runs {
            reference.append(try await SyncBench.measure {
                let directory = try CellDirectory(store: replica.store)
                let rows = DashboardRow.rows(cells: try replica.store.records(kind: "cell"), signals: directory.shown(try replica.store.records(kind: "signal")))
                guard !TextOutput.dashboard(rows, style: TextStyle(color: false, width: 120, now: 0)).isEmpty else { throw BenchError("the terminal dashboard is empty") }
            } * 1000)
        }
        let guardian = WebGuard(port: 0)
        let listening = AsyncStream<String>.makeStream()
        let app = WebServer.application(replica: replica, guardian: guardian, port: 0, onListening: { listening.continuation.yield($0) },
                                        sync: { throw BenchError("no sync in the benchmark") })
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        var addresses = listening.stream.makeAsyncIterator()
        guard let address = await addresses.next() else { throw BenchError("sync-client web did not start") }
        let origin = String(address[..<address.range(of: "/?token=")!.lowerBound])
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var medians: [Double] = []
        do {
            for page in ["/", "/cells/16"] {
                var times: [Double] = []
                for _ in 0..<runs {
                    var request = HTTPClientRequest(url: origin + page)
                    request.headers.add(name: "Cookie", value: "\(guardian.cookieName)=\(guardian.session)")
                    times.append(try await SyncBench.measure {
                        let response = try await client.execute(request, timeout: .seconds(60))
                        let body = try await response.body.collect(upTo: 64 << 20)
                        guard response.status == .ok, body.readableBytes > 1000 else { throw BenchError("\(page) answered \(response.status)") }
                    } * 1000)
                }
                medians.append(times.sorted()[runs / 2])
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        let size = table.format(Double(versions))
        let terminal = reference.sorted()[runs / 2]
        table.add("web dashboard page, \(size) versions of history", cost: medians[0], reference: terminal, unit: "ms",
                  referenceName: "terminal dashboard; target < 50 ms")
        table.add("web cell page with its pictures, same replica", cost: medians[1], reference: terminal, unit: "ms",
                  referenceName: "terminal dashboard; target < 50 ms")
    }
}
