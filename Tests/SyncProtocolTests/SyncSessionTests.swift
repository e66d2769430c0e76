import Foundation
import LocalStore
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// A transport that hands each request straight to an in-process server store.
struct InProcessTransport: SyncTransport {
    let store: ServerStore
    let analyst: String
    var pageLimit = 1_000

    func send(_ request: SyncRequest) async throws -> SyncResponse {
        let exchange = try await store.exchange(analyst: analyst, clientVector: request.vector, versions: request.versions,
                                                pageLimit: min(request.pageLimit ?? pageLimit, pageLimit), at: 0)
        return SyncResponse(vector: exchange.vector, versions: exchange.versions, more: exchange.more)
    }
}

/// Fails every request after the first `allowed` ones, as a dropped connection would.
final class FlakyTransport: SyncTransport, @unchecked Sendable {
    let inner: InProcessTransport
    private let lock = NSLock()
    private var remaining: Int

    init(_ inner: InProcessTransport, allowed: Int) {
        self.inner = inner
        remaining = allowed
    }

    struct Dropped: Error {}

    func send(_ request: SyncRequest) async throws -> SyncResponse {
        let allowed = lock.withLock {
            remaining -= 1
            return remaining >= 0
        }
        guard allowed else { throw Dropped() }
        return try await inner.send(request)
    }
}

@Suite struct SyncSessionTests {
    static func makeServer(analysts: [String] = ["alice", "bob", "carol"]) throws -> ServerStore {
        let server = try ServerStore.inMemory()
        for name in analysts { try server.addAnalyst(name: name, tokenHash: "hash-of-\(name)", at: 0) }
        return server
    }

    static let record = RecordID("44444444-4444-4444-8444-444444444444")!

    static func writeMany(_ replica: Replica, count: Int, prefix: String) throws {
        for index in 0..<count {
            var generator = random(prefix, index)
            let id = RecordID(HistoryGenerator.uuid(&generator))!
            try replica.write([FieldChange(record: id, kind: "signal", field: "title", value: .text("\(prefix) \(index)"))], at: Int64(index))
        }
    }

    static func random(_ prefix: String, _ index: Int) -> SplitMix64 {
        SplitMix64(seed: UInt64(prefix.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }) &+ UInt64(index))
    }

    @Test func pagedSessionsConvergeAllReplicasAndTheServer() async throws {
        let server = try Self.makeServer()
        let replicas = try ["alice", "bob", "carol"].map { try Replica.inMemory(analyst: $0) }
        for replica in replicas { try Self.writeMany(replica, count: 23, prefix: replica.analyst) }
        // Small pages in both directions, so every sync takes many requests.
        for round in 0..<2 {
            for replica in replicas {
                var session = SyncSession(replica: replica, pushPageSize: 4, pullPageSize: 5)
                try await session.run(over: InProcessTransport(store: server, analyst: replica.analyst, pageLimit: 5))
                #expect(round == 1 || session.stats.requests > 5, "the first round pushes 23 versions 4 at a time")
            }
        }
        let dumps = try replicas.map { try $0.store.canonicalDump() }
        #expect(Set(dumps).count == 1)
        let serverDump = try server.store.canonicalDump()
        #expect(dumps[0] == serverDump)
        #expect(try server.store.versionVector().total == 69)
        #expect(try replicas[0].pending().isEmpty)
    }

    @Test("an interrupted sync resumes and ends where an uninterrupted one does", arguments: [1, 2, 3, 4, 5])
    func interruptedSyncResumes(allowed: Int) async throws {
        let server = try Self.makeServer()
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try Self.writeMany(alice, count: 30, prefix: "a")
        try Self.writeMany(bob, count: 30, prefix: "b")
        var first = SyncSession(replica: alice, pushPageSize: 7, pullPageSize: 7)
        try await first.run(over: InProcessTransport(store: server, analyst: "alice"))
        // Bob's sync is cut after `allowed` requests, then run again to the end.
        var cut = SyncSession(replica: bob, pushPageSize: 7, pullPageSize: 7)
        await #expect(throws: FlakyTransport.Dropped.self) {
            try await cut.run(over: FlakyTransport(InProcessTransport(store: server, analyst: "bob", pageLimit: 7), allowed: allowed))
        }
        var again = SyncSession(replica: bob, pushPageSize: 7, pullPageSize: 7)
        try await again.run(over: InProcessTransport(store: server, analyst: "bob", pageLimit: 7))
        var last = SyncSession(replica: alice)
        try await last.run(over: InProcessTransport(store: server, analyst: "alice"))
        #expect(try alice.store.canonicalDump() == bob.store.canonicalDump())
        #expect(try server.store.versionVector().total == 60)
    }

    @Test func aResponseInAnotherProtocolVersionIsRefused() throws {
        var session = SyncSession(replica: try Replica.inMemory(analyst: "alice"))
        _ = try session.nextRequest()
        #expect(throws: SyncError.protocolMismatch(2)) {
            try session.receive(SyncResponse(vector: VersionVector(), versions: [], more: false, protocolVersion: 2))
        }
    }

    @Test func theFirstRequestCarriesTheVectorAndNoVersions() throws {
        let alice = try Replica.inMemory(analyst: "alice")
        try Self.writeMany(alice, count: 3, prefix: "a")
        var session = SyncSession(replica: alice)
        let request = try #require(try session.nextRequest())
        #expect(request.versions.isEmpty)
        #expect(request.vector == VersionVector([alice.id: 3]))
        try session.receive(SyncResponse(vector: VersionVector(), versions: [], more: false))
        #expect(try session.nextRequest()?.versions.count == 3)
    }
}
