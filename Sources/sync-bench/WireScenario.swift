import ArgumentParser
import Foundation
import LocalStore
import SyncModel
import SyncHTTP
import SyncProtocol
import SyncServerCore
import AsyncHTTPClient

struct Wire: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Bytes per version of a batch of small register edits (target ≤ 32), and of a sync with nothing to exchange (target < 1 KB)."
    )
    @Option(help: "Edits in the batch.") var edits = 1_000

    func validate() throws { try require("--edits", edits, atLeast: 1) }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let replica = try Replica.inMemory(analyst: "alice")
        let versions = try replica.write(Self.smallEdits(edits), at: WallClock.now())
        let message = SyncResponse(vector: try replica.store.versionVector(), versions: versions, more: false)
        table.add("wire size of a small register edit, batch of \(edits)", cost: Double(BinaryWire.encode(message).count) / Double(edits),
                  reference: Double(WireProtocol.encode(message).count) / Double(edits), unit: "B", referenceName: "same batch as JSON")

        let (bytes, _) = try await NoOpSync.measure(replicas: 10, rounds: 5)
        table.add("sync with nothing to exchange, 10 replicas known", value: "\(bytes) B (HTTP headers and bodies, both ways)", target: "target < 1,024 B")
    }
}

extension Wire {
    /// Small register edits: labels, tiers and short titles over `edits / 10` cells.
    static func smallEdits(_ edits: Int) -> [FieldChange] {
        var random = BenchRandom(seed: 7)
        let records = (0..<max(1, edits / 10)).map { _ in RecordID(bytes: (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) })! }
        let labels = ["Advancing", "Holding", "Drifting", "Reversing"]
        return (0..<edits).map { index -> FieldChange in
            let record = records[Int(random.next() % UInt64(records.count))]
            switch index % 3 {
            case 0: return FieldChange(record: record, kind: "cell", field: "trajectory", value: .text(labels[index % 4]))
            case 1: return FieldChange(record: record, kind: "cell", field: "tier", value: .text("Tier \(index % 5)"))
            default: return FieldChange(record: record, kind: "cell", field: "title", value: .text("Cell \(index)"))
            }
        }
    }
}

/// A sync with nothing new on either side, against the real server process.
enum NoOpSync {
    /// Bytes on the wire of one such sync, and its median round-trip time in microseconds, with
    /// `replicas` replicas known to the server (and to the client, which has pulled them all).
    static func measure(replicas: Int, rounds: Int, seedFrom big: Replica? = nil) async throws -> (bytes: Int, microseconds: Double) {
        let folder = try BenchFolder()
        let token = TokenHasher.makeToken(analyst: "alice")
        let store = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        try store.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 0)
        let client: Replica
        if let big {
            try await BenchFixtures.seed(store, analyst: "alice", from: big)
            client = big
        } else {
            for index in 0..<max(0, replicas - 1) {
                let other = try Replica.inMemory(analyst: "alice")
                try other.write(Workload.changes(count: 1, numbered: false, seed: UInt64(index)), at: 0)
                try await BenchFixtures.seed(store, analyst: "alice", from: other)
            }
            client = try Replica.create(path: folder.path("client.sqlite"), settings: ReplicaSettings(server: "", token: token, analyst: "alice"))
            try client.write(Workload.changes(count: 1, numbered: false), at: 0)
            try await BenchFixtures.seed(store, analyst: "alice", from: client)
        }
        try store.close()
        let server = try BenchServer(database: folder.path("server.sqlite"))
        defer { server.stop() }
        let http = try HTTPTransport.makeClient()
        let transport = CountingTransport(client: http, server: server.url, token: token)
        var times: [Double] = []
        var bytes = 0
        do {
            for round in 0..<(rounds + 1) {
                transport.reset()
                var session = SyncDriver(replica: client)
                let elapsed = try await SyncBench.measure { try await session.run(over: transport) }
                // The first round opens the connection and pulls what the client lacks
                guard round > 0 else { continue }
                guard session.stats.sent == 0, session.stats.received == 0 else { throw BenchError("the no-op sync exchanged versions") }
                times.append(elapsed)
                bytes = transport.sent + transport.received
            }
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
        return (bytes, times.sorted()[times.count / 2] * 1e6)
    }
}
