import ArgumentParser
import AsyncHTTPClient
import Foundation
import LocalStore
import NIOCore
import NIOHTTP1
import Hummingbird
import SyncClientCore
import SyncModel
import WebDashboard

/// Reads that must not pay for bodies they do not show: one cell carries a thousand signals
/// whose bodies are 100 KB each, and the dashboard, `cell show` of that cell and of another, and
/// that cell's web page are timed against the same replica with empty bodies.
struct BigBodies: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "big-bodies",
        abstract: "dashboard, cell show (of the cell carrying the signals, and of another) and the cell's web page with 1,000 signals of 100 KB bodies on one cell (target < 50 ms each), against the same replica with empty bodies."
    )
    @Option(help: "Signals on the cell.") var signals = 1_000
    @Option(help: "Bytes of each signal's body.") var bodyBytes = 100_000
    @Option(help: "Runs of each read; the median is reported.") var runs = 11

    func validate() throws {
        try require("--signals", signals, atLeast: 1)
        try require("--body-bytes", bodyBytes, atLeast: 0)
        try require("--runs", runs, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let heavy = try Self.replica(at: folder.path("bodies.sqlite"), signals: signals, bodyBytes: bodyBytes)
        let light = try Self.replica(at: folder.path("empty.sqlite"), signals: signals, bodyBytes: 0)
        let size = "\(table.format(Double(signals))) signals of \(table.format(Double(bodyBytes / 1000))) KB"
        let reads: [(name: String, read: (Replica) throws -> Void)] = [
            ("dashboard", { try Self.dashboard($0) }),
            ("cell show of the cell carrying them", { try Self.cellShow($0, number: 20) }),
            ("cell show of another cell", { try Self.cellShow($0, number: 21) }),
        ]
        for (name, read) in reads {
            let cost = try await median { try read(heavy) }, reference = try await median { try read(light) }
            table.add("\(name), \(size)", cost: cost, reference: reference, unit: "ms", referenceName: "empty bodies; target < 50 ms")
        }
        var pages: [Double] = []
        for replica in [heavy, light] {
            let server = try await PageServer(replica)
            do {
                pages.append(try await median { try await server.get("/cells/20") })
                try await server.stop()
            } catch {
                try? await server.stop()
                throw error
            }
        }
        table.add("web cell page of the cell carrying them, \(size)", cost: pages[0], reference: pages[1], unit: "ms",
                  referenceName: "empty bodies; target < 50 ms")
    }

    private func median(_ body: () async throws -> Void) async throws -> Double {
        var times: [Double] = []
        for _ in 0..<runs { times.append(try await SyncBench.measure(body) * 1000) }
        return times.sorted()[runs / 2]
    }

    /// Cells 20 and 21, and `signals` signals tagged to cell 20 with bodies of `bodyBytes`.
    static func replica(at path: String, signals: Int, bodyBytes: Int) throws -> Replica {
        let replica = try Replica.create(path: path, settings: BenchFixtures.settings)
        let cells = [(RecordID.random(), Int64(20)), (RecordID.random(), Int64(21))]
        try replica.write(cells.flatMap { id, number in [
            FieldChange(record: id, kind: "cell", field: "number", value: .int(number)),
            FieldChange(record: id, kind: "cell", field: "title", value: .text("Cell \(number)")),
        ] }, at: 1)
        let paragraph = String(repeating: "A long report of what happened in the field, word for word. ", count: bodyBytes / 40 + 1)
        for start in stride(from: 0, to: signals, by: 100) {
            let changes = (start..<min(signals, start + 100)).flatMap { index -> [FieldChange] in
                let id = RecordID.random()
                let day = String(format: "2026-%02d-%02d", index % 12 + 1, index % 28 + 1)
                var fields: [FieldChange] = [
                    FieldChange(record: id, kind: "signal", field: "title", value: .text("Signal \(index)")),
                    FieldChange(record: id, kind: "signal", field: "date", value: .text(day)),
                    FieldChange(record: id, kind: "signal", field: "direction", value: .text("Holding")),
                    FieldChange(record: id, kind: "signal", field: "cells", value: .list([cells[0].0.rawValue])),
                ]
                if bodyBytes > 0 { fields.append(FieldChange(record: id, kind: "signal", field: "body", value: .text(String(paragraph.prefix(bodyBytes))))) }
                return fields
            }
            try replica.write(changes, at: 2)
        }
        return try Replica.open(path: path)
    }

    /// What `sync-client dashboard` reads and renders.
    static func dashboard(_ replica: Replica) throws {
        let directory = try CellDirectory(store: replica.store)
        let rows = DashboardRow.rows(cells: try replica.store.records(kind: "cell"), signals: directory.shown(try SignalSummary.signals(in: replica.store)))
        guard rows.first?.signals ?? 0 > 0 else { throw BenchError("the dashboard counts no signals") }
        _ = TextOutput.dashboard(rows, style: TextStyle(color: false, width: 120, now: 0))
    }

    /// What `sync-client cell show N` reads and renders.
    static func cellShow(_ replica: Replica, number: Int64) throws {
        let directory = try CellDirectory(store: replica.store)
        let record = directory.shown(try RecordLookup(store: replica.store).cell(String(number)))
        let signals = directory.shown(try SignalSummary.signals(in: replica.store)).filter { $0.list("cells").contains(String(number)) }
        guard !TextOutput.cell(record, signals: signals, style: TextStyle(color: false, width: 100, now: 0)).isEmpty else { throw BenchError("cell show is empty") }
    }

}

/// `sync-client web` over one replica in this process, and a client for its pages.
private final class PageServer {
    let guardian = WebGuard(port: 0)
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let server: Task<Void, any Error>
    let origin: String

    init(_ replica: Replica) async throws {
        let listening = AsyncStream<String>.makeStream()
        let app = WebServer.application(replica: replica, guardian: guardian, port: 0, onListening: { listening.continuation.yield($0) },
                                        sync: { throw BenchError("no sync in the benchmark") })
        server = Task { try await app.runService() }
        var addresses = listening.stream.makeAsyncIterator()
        guard let address = await addresses.next(), let end = address.range(of: "/?token=") else {
            server.cancel()
            throw BenchError("sync-client web did not start")
        }
        origin = String(address[..<end.lowerBound])
    }

    /// Fetches `page` whole and checks it came.
    func get(_ page: String) async throws {
        var request = HTTPClientRequest(url: origin + page)
        request.headers.add(name: "Cookie", value: "\(guardian.cookieName)=\(guardian.session)")
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok, body.readableBytes > 1000 else { throw BenchError("\(page) answered \(response.status)") }
    }

    func stop() async throws {
        server.cancel()
        try await client.shutdown()
    }
}
