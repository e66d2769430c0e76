import ArgumentParser
import AsyncHTTPClient
import Foundation
import LocalStore
import PostgresStore
import SyncHTTP
import SyncModel
import SyncProtocol
import SyncServerCore
import ThrowawayPostgres

struct PostgresBench: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "The PostgreSQL store against the SQLite one, real sync-server processes on a throwaway cluster: pushes from 10 clients into 1, 2 and 4 instances and their pulls of the whole feed, a no-op sync, a first sync (target: pushes ≥ half the SQLite store's rate)."
    )
    @Option(help: "Clients pushing at once.") var clients = 10
    @Option(help: "Versions pushed in all.") var versions = 200_000
    @Option(help: "Versions on the server for the first sync.") var firstSync = 1_000_000

    func validate() throws {
        try require("--clients", clients, atLeast: 1)
        try require("--versions (one or more per client)", versions, atLeast: clients)
        try require("--first-sync", firstSync, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let cluster = try PostgresCluster.start(durable: true)
        let folder = try BenchFolder()
        let pushes = try ServerMerge.pushes(clients: clients, versions: versions, pageSize: SyncSession.defaultPageSize)
        let expected = UInt64(versions / clients * clients)

        // The SQLite store, measured in this run as the reference.
        let sqlite = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        for push in pushes { try sqlite.addAnalyst(name: push.analyst, tokenHash: TokenHasher.hash(push.token), at: 0) }
        try sqlite.close()
        let sqliteServer = try BenchServer(database: folder.path("server.sqlite"))
        let sqliteRate = Double(expected) / (try await ServerMerge.send(pushes, to: [sqliteServer.url]))
        let sqlitePulls = Double(expected) * Double(clients) / (try await ServerMerge.pull(pushes, from: [sqliteServer.url], expected: Int(expected)))
        let sqliteNoOp = try await Self.noOpSync(url: sqliteServer.url, token: pushes[0].token, replica: try Self.syncedReplica(pushes[0], url: sqliteServer.url))
        sqliteServer.stop()
        table.add("server merge, \(clients) clients, SQLite store", value: "\(table.format(sqliteRate)) versions/s", target: "the reference of the rows below")

        var noOp = 0.0
        var pulls: [(instances: Int, rate: Double)] = []
        for instances in [1, 2, 4] {
            let url = try await cluster.makeDatabase()
            let store = try await PostgresServerStore.connect(try PostgresLocation(url: url))
            for push in pushes { try await store.addAnalyst(name: push.analyst, tokenHash: TokenHasher.hash(push.token), at: 0) }
            store.close()
            let servers = try (0..<instances).map { _ in try BenchServer(database: url) }
            defer { for server in servers { server.stop() } }
            let elapsed = try await ServerMerge.send(pushes, to: servers.map(\.url))
            let stored = try cluster.psql("SELECT count(*) FROM version", database: String(url.split(separator: "/").last!))
            guard UInt64(stored.trimmingCharacters(in: .whitespacesAndNewlines)) == expected else {
                throw BenchError("PostgreSQL stored \(stored) versions of \(expected)")
            }
            table.add("  into PostgreSQL, \(instances) instance\(instances == 1 ? "" : "s")", rate: Double(expected) / elapsed, reference: sqliteRate,
                      unit: "versions/s", referenceName: "SQLite store")
            pulls.append((instances, Double(expected) * Double(clients) / (try await ServerMerge.pull(pushes, from: servers.map(\.url), expected: Int(expected)))))
            if instances == 1 {
                noOp = try await Self.noOpSync(url: servers[0].url, token: pushes[0].token, replica: try Self.syncedReplica(pushes[0], url: servers[0].url))
            }
        }
        table.add("pulls of the whole feed, \(clients) clients, SQLite store", value: "\(table.format(sqlitePulls)) versions/s", target: "the reference of the rows below")
        for pull in pulls {
            table.add("  from PostgreSQL, \(pull.instances) instance\(pull.instances == 1 ? "" : "s")", rate: pull.rate, reference: sqlitePulls,
                      unit: "versions/s", referenceName: "SQLite store")
        }
        table.add("no-op sync round trip, PostgreSQL", cost: noOp * 1000, reference: sqliteNoOp * 1000, unit: "ms", referenceName: "SQLite store", digits: 2)

        // A first sync of a large store, pulled from each.
        let token = TokenHasher.makeToken(analyst: "alice")
        let source = try BenchFixtures.replica(at: folder.path("source.sqlite"), versions: firstSync, analyst: "alice")
        let seeded = try SQLiteServerStore.open(path: folder.path("large.sqlite"))
        try seeded.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 0)
        try await BenchFixtures.seed(seeded, analyst: "alice", from: source)
        let url = try await cluster.makeDatabase()
        let target = try await PostgresServerStore.connect(try PostgresLocation(url: url))
        _ = try await target.load(analysts: try seeded.analystsWithTokenHashes(), bindings: try seeded.bindings(), head: try seeded.feedHead()) { position in
            try seeded.feedPage(after: position, limit: 20_000).versions
        }
        target.close()
        try seeded.close()
        var seconds: [Double] = []
        for database in [folder.path("large.sqlite"), url] {
            let server = try BenchServer(database: database)
            defer { server.stop() }
            let fresh = folder.path("fresh-\(seconds.count).sqlite")
            _ = try runTimed("sync-client", ["init", "--replica", fresh, "--server", server.url, "--token", token])
            seconds.append(try runTimed("sync-client", ["sync", "--replica", fresh]).seconds)
            guard try Replica.open(path: fresh).store.versionVector().total == UInt64(firstSync) else { throw BenchError("a first sync missed versions") }
        }
        table.add("first sync of \(table.format(Double(firstSync))) versions from PostgreSQL", rate: Double(firstSync) / seconds[1],
                  reference: Double(firstSync) / seconds[0], unit: "versions/s", referenceName: "from the SQLite store")
    }

    /// A replica holding nothing but synced: the next sync exchanges nothing.
    static func syncedReplica(_ push: ServerMerge.Push, url: String) async throws -> Replica {
        let replica = try Replica.inMemory(analyst: push.analyst)
        let client = try HTTPTransport.makeClient()
        var driver = SyncDriver(replica: replica)
        do {
            try await driver.run(over: HTTPTransport(client: client, server: url, token: push.token))
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return replica
    }

    /// The median seconds of a sync with nothing to exchange, over 30 runs.
    static func noOpSync(url: String, token: String, replica: Replica) async throws -> Double {
        let client = try HTTPTransport.makeClient()
        var times: [Double] = []
        do {
            for _ in 0..<30 {
                var driver = SyncDriver(replica: replica)
                times.append(try await SyncBench.measure { try await driver.run(over: HTTPTransport(client: client, server: url, token: token)) })
                guard driver.stats.sent == 0, driver.stats.received == 0 else { throw BenchError("the no-op sync exchanged versions") }
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return times.sorted()[times.count / 2]
    }
}
