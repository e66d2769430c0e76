import ArgumentParser
import Foundation
import GRDB
import Hummingbird
import Logging
import LocalStore
import SyncModel
import SyncProtocol
import SyncServerCore

@main
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-bench",
        abstract: "Measures local writes and sync throughput next to plain SQLite, in one run.",
        discussion: "Run a release build: swift run -c release sync-bench"
    )

    @Option(help: "Field writes in the batched-write scenario.") var writes = 50_000
    @Option(help: "Writes in the one-transaction-each scenario.") var singleWrites = 2_000
    @Option(help: "Versions pushed and pulled in the sync scenario.") var versions = 50_000
    @Option(help: "Versions of one record in the long-history scenario.") var longHistory = 10_000
    @Option(help: "Versions applied one by one in the history scenarios.") var applied = 2_000

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

        var table = BenchTable()
        let rows = Workload.changes(count: writes)

        let plainBatch = try PlainSQLite.insertAll(rows, path: path("plain-batch.sqlite"))
        let replica = try Replica.create(path: path("batch.sqlite"), settings: ReplicaSettings(server: "", token: "", analyst: "bench"))
        let batch = try measure { try replica.write(rows, at: WallClock.now()) }
        table.add("local writes, one transaction", rate: Double(writes) / batch, reference: Double(writes) / plainBatch, unit: "writes/s")

        let singleRows = Array(rows.prefix(singleWrites))
        let plainSingle = try PlainSQLite.insertEach(singleRows, path: path("plain-single.sqlite"))
        let singleReplica = try Replica.create(path: path("single.sqlite"), settings: ReplicaSettings(server: "", token: "", analyst: "bench"))
        let single = try measure { for row in singleRows { try singleReplica.write([row], at: WallClock.now()) } }
        table.add("local writes, one transaction each", rate: Double(singleWrites) / single, reference: Double(singleWrites) / plainSingle, unit: "writes/s")

        let (push, pull) = try await syncScenario(count: versions, path: path)
        let plainSync = try PlainSQLite.insertAll(Workload.changes(count: versions), path: path("plain-sync.sqlite"))
        table.add("sync push over loopback", rate: Double(versions) / push, reference: Double(versions) / plainSync, unit: "versions/s")
        table.add("sync pull into a fresh replica", rate: Double(versions) / pull, reference: Double(versions) / plainSync, unit: "versions/s")

        let short = try HistoryScenario.microsecondsPerVersion(history: 10, applied: applied, path: path("history-short.sqlite"))
        let long = try HistoryScenario.microsecondsPerVersion(history: longHistory, applied: applied, path: path("history-long.sqlite"))
        table.add("apply one version, record with \(longHistory) versions (ref: 10)", cost: long, reference: short, unit: "µs")

        print(table.render())
        print("references: plain SQLite inserts of the same rows (WAL, synchronous=NORMAL), and the same record with 10 versions; all measured in this run")
    }

    /// Pushes `count` versions from one replica through a real server on 127.0.0.1, then pulls them into a fresh one.
    func syncScenario(count: Int, path: (String) -> String) async throws -> (push: Double, pull: Double) {
        let store = try ServerStore.open(path: path("server.sqlite"))
        let token = TokenHasher.makeToken(analyst: "bench")
        try store.addAnalyst(name: "bench", tokenHash: TokenHasher.hash(token), at: 0)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var quiet = Logger(label: "sync-bench-server")
        quiet.logLevel = .critical
        let app = try buildApplication(store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0), logger: quiet) { port in
            portContinuation.yield(port)
        }
        let serverTask = Task { try await app.runService() }
        defer { serverTask.cancel() }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ValidationError("the server did not start") }
        let url = "http://127.0.0.1:\(port)"

        let source = try Replica.create(path: path("source.sqlite"), settings: ReplicaSettings(server: url, token: token, analyst: "bench"))
        try source.write(Workload.changes(count: count), at: WallClock.now())
        let fresh = try Replica.create(path: path("fresh.sqlite"), settings: ReplicaSettings(server: url, token: token, analyst: "bench"))
        let client = try HTTPTransport.makeClient()
        let transport = HTTPTransport(client: client, server: url, token: token)
        let push: Double, pull: Double
        do {
            var pushSession = SyncSession(replica: source)
            let start = ContinuousClock.now
            try await pushSession.run(over: transport)
            push = seconds(ContinuousClock.now - start)
            var pullSession = SyncSession(replica: fresh)
            let pullStart = ContinuousClock.now
            try await pullSession.run(over: transport)
            pull = seconds(ContinuousClock.now - pullStart)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        guard try fresh.store.versionVector().total == UInt64(count) else { throw ValidationError("the pull did not bring every version") }
        return (push, pull)
    }
}

func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return seconds(ContinuousClock.now - start)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
