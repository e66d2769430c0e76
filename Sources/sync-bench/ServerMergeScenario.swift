import ArgumentParser
import Foundation
import LocalStore
import SyncModel
import SyncHTTP
import SyncProtocol
import SyncServerCore
import AsyncHTTPClient

struct ServerMerge: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "server-merge",
        abstract: "Versions per second stored by the real sync-server while clients push at once (target ≥ 100,000)."
    )
    @Option(help: "Clients pushing at once.") var clients = 10
    @Option(help: "Versions pushed in all.") var versions = 200_000
    @Option(help: "Versions per request (the client's default unless given).") var pageSize = SyncSession.defaultPageSize

    func validate() throws {
        try require("--clients", clients, atLeast: 1)
        try require("--versions (one or more per client)", versions, atLeast: clients)
        try requirePageSize(pageSize)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let store = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        let pushes = try Self.pushes(clients: clients, versions: versions, pageSize: pageSize)
        for push in pushes { try store.addAnalyst(name: push.analyst, tokenHash: TokenHasher.hash(push.token), at: 0) }
        try store.close()
        let plain = try PlainSQLite.insertAll(Workload.changes(count: versions), path: folder.path("plain.sqlite"))

        let server = try BenchServer(database: folder.path("server.sqlite"))
        defer { server.stop() }
        let elapsed = try await Self.send(pushes, to: [server.url])
        server.stop()
        let stored = try SQLiteServerStore.open(path: folder.path("server.sqlite")).versionVector().total
        guard stored == UInt64(versions / clients * clients) else { throw BenchError("the server stored \(stored) versions") }
        table.add("server merge, \(clients) clients pushing at once", rate: Double(stored) / elapsed, reference: Double(versions) / plain,
                  unit: "versions/s", referenceName: "plain SQLite insert")
    }

    /// One client's pushes: an analyst, their token, and requests of `pageSize` versions each.
    struct Push: Sendable {
        var analyst: String
        var token: String
        var requests: [SyncRequest]
    }

    /// `versions` new versions written on `clients` replicas (one analyst each), as pushes.
    static func pushes(clients: Int, versions: Int, pageSize: Int) throws -> [Push] {
        try (0..<clients).map { index in
            let name = "analyst\(index)"
            let replica = try Replica.inMemory(analyst: name)
            let written = try replica.write(Workload.changes(count: versions / clients, seed: UInt64(index + 100)), at: WallClock.now())
            let requests = stride(from: 0, to: written.count, by: pageSize).map { start in
                let page = Array(written[start..<min(start + pageSize, written.count)])
                return SyncRequest(replica: replica.id, vector: VersionVector([replica.id: page.last!.dot.counter]), versions: page, pageLimit: 1)
            }
            return Push(analyst: name, token: TokenHasher.makeToken(analyst: name), requests: requests)
        }
    }

    /// Sends every client's pushes at once, client `i` to server `i % urls.count`; the seconds taken.
    static func send(_ pushes: [Push], to urls: [String]) async throws -> Double {
        try await withClients(pushes, urls) { transport, push in
            for request in push.requests { _ = try await transport.send(request) }
        }
    }

    /// Every client pulls the whole feed at once, by cursor from its start in pages of the
    /// client's default size, from a replica of its own (client `i` from server `i % urls.count`),
    /// applying nothing: what the servers send. The seconds taken; throws unless each pulled `expected` versions.
    static func pull(_ pushes: [Push], from urls: [String], expected: Int) async throws -> Double {
        try await withClients(pushes, urls) { transport, _ in
            let replica = ReplicaID.random()
            var cursor = FeedCursor.start, pulled = 0, more = true
            while more {
                let answer = try await transport.send(SyncRequest(replica: replica, vector: VersionVector(), cursor: cursor, versions: [],
                                                                  pageLimit: SyncSession.defaultPageSize))
                guard let next = answer.cursor else { throw BenchError("a pull by cursor was answered without one") }
                pulled += answer.versions.count
                (cursor, more) = (next, answer.more)
            }
            guard pulled == expected else { throw BenchError("a client pulled \(pulled) versions of \(expected)") }
        }
    }

    /// Runs `work` for every client at once over one HTTP client, client `i` talking to
    /// server `i % urls.count`; the seconds until the last ends.
    private static func withClients(_ pushes: [Push], _ urls: [String], _ work: @escaping @Sendable (HTTPTransport, Push) async throws -> Void) async throws -> Double {
        let client = try HTTPTransport.makeClient()
        do {
            let elapsed = try await SyncBench.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, push) in pushes.enumerated() {
                        group.addTask {
                            try await work(HTTPTransport(client: client, server: urls[index % urls.count], token: push.token), push)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await client.shutdown()
            return elapsed
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
