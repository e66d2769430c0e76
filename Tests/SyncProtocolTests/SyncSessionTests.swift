import Foundation
import GRDB
import LocalStore
import StoreKinds
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// Fails every request after the first `allowed` ones, as a dropped connection would.
final class FlakyTransport: SyncTransport, @unchecked Sendable {
    let inner: any SyncTransport
    private let lock = NSLock()
    private var remaining: Int

    init(_ inner: any SyncTransport, allowed: Int) {
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
    static func makeServer(_ kind: StoreKind, analysts: [String] = ["alice", "bob", "carol"]) async throws -> TestServer {
        try await kind.server(analysts: analysts)
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

    @Test(arguments: StoreKind.allCases) func pagedSessionsConvergeAllReplicasAndTheServer(kind: StoreKind) async throws {
        let server = try await Self.makeServer(kind)
        let replicas = try ["alice", "bob", "carol"].map { try Replica.inMemory(analyst: $0) }
        for replica in replicas { try Self.writeMany(replica, count: 23, prefix: replica.analyst) }
        // Small pages in both directions, so every sync takes many requests.
        for round in 0..<2 {
            for replica in replicas {
                var session = SyncDriver(replica: replica, pushPageSize: 4, pullPageSize: 5)
                try await session.run(over: server.transport(analyst: replica.analyst, pageLimit: 5))
                #expect(round == 1 || session.stats.requests > 5, "the first round pushes 23 versions 4 at a time")
            }
        }
        let dumps = try replicas.map { try $0.store.canonicalDump() }
        #expect(Set(dumps).count == 1)
        let serverDump = try await server.pulledByANewReplica(of: "alice").store.canonicalDump()
        #expect(dumps[0] == serverDump)
        #expect(try await server.pulledByANewReplica(of: "alice").store.versionVector().total == 69)
        #expect(try replicas[0].pending().isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func aFreshReplicasFirstSyncDerivesItsFieldStatesOnceAtTheEnd(kind: StoreKind) async throws {
        let server = try await Self.makeServer(kind)
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try Self.writeMany(alice, count: 20, prefix: "a")
        try alice.write([FieldChange(record: Self.record, kind: "cell", field: "title", value: .text("Base"))], at: 1)
        var aliceSync = SyncDriver(replica: alice)
        try await aliceSync.run(over: server.transport(analyst: "alice"))
        var bobSync = SyncDriver(replica: bob)
        try await bobSync.run(over: server.transport(analyst: "bob"))
        // A conflict on the server: both change the title concurrently.
        try alice.write([FieldChange(record: Self.record, kind: "cell", field: "title", value: .text("Alice's"))], at: 2)
        try bob.write([FieldChange(record: Self.record, kind: "cell", field: "title", value: .text("Bob's"))], at: 3)
        for (replica, name) in [(alice, "alice"), (bob, "bob")] {
            var session = SyncDriver(replica: replica)
            try await session.run(over: server.transport(analyst: name))
        }

        let carol = try Replica.inMemory(analyst: "carol")
        var session = SyncDriver(replica: carol, pushPageSize: 5, pullPageSize: 5)
        var seen: [SyncStats] = []
        try await session.run(over: server.transport(analyst: "carol", pageLimit: 5)) { seen.append($0) }
        #expect(seen.filter(\.derivingFields).count == 1 && seen.last?.derivingFields == false, "\(seen)")
        #expect(try !carol.hasUnderivedFields())
        #expect(try await carol.store.canonicalDump() == server.pulledByANewReplica(of: "carol").store.canonicalDump())
        #expect(session.stats.received == 23)
        let conflicts = try carol.store.conflicts().map(\.id)
        #expect(session.stats.newConflicts == conflicts && conflicts.count == 1)
        // A later sync of the same replica applies page by page, and derives nothing. Alice,
        // having pulled Bob's title, resolves the conflict.
        var alicePull = SyncDriver(replica: alice)
        try await alicePull.run(over: server.transport(analyst: "alice"))
        try alice.write([FieldChange(record: Self.record, kind: "cell", field: "title", value: .text("Agreed"))], at: 4)
        var aliceAgain = SyncDriver(replica: alice)
        try await aliceAgain.run(over: server.transport(analyst: "alice"))
        var again = SyncDriver(replica: carol)
        var later: [SyncStats] = []
        try await again.run(over: server.transport(analyst: "carol")) { later.append($0) }
        #expect(later.allSatisfy { !$0.derivingFields })
        #expect(try carol.store.conflicts().isEmpty)
        #expect(try await carol.store.canonicalDump() == server.pulledByANewReplica(of: "carol").store.canonicalDump())
    }

    @Test("an interrupted sync resumes and ends where an uninterrupted one does", arguments: [1, 2, 3, 4, 5], StoreKind.allCases)
    func interruptedSyncResumes(allowed: Int, kind: StoreKind) async throws {
        let server = try await Self.makeServer(kind)
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try Self.writeMany(alice, count: 30, prefix: "a")
        try Self.writeMany(bob, count: 30, prefix: "b")
        var first = SyncDriver(replica: alice, pushPageSize: 7, pullPageSize: 7)
        try await first.run(over: server.transport(analyst: "alice"))
        // Bob's sync is cut after `allowed` requests, then run again to the end.
        var cut = SyncDriver(replica: bob, pushPageSize: 7, pullPageSize: 7)
        await #expect(throws: FlakyTransport.Dropped.self) {
            try await cut.run(over: FlakyTransport(server.transport(analyst: "bob", pageLimit: 7), allowed: allowed))
        }
        var again = SyncDriver(replica: bob, pushPageSize: 7, pullPageSize: 7)
        try await again.run(over: server.transport(analyst: "bob", pageLimit: 7))
        var last = SyncDriver(replica: alice)
        try await last.run(over: server.transport(analyst: "alice"))
        #expect(try alice.store.canonicalDump() == bob.store.canonicalDump())
        #expect(try await server.pulledByANewReplica(of: "alice").store.versionVector().total == 60)
    }

    @Test(arguments: StoreKind.allCases) func aSyncedReplicaAsksByCursorWithOnlyItsOwnCountersHoweverManyReplicasExist(kind: StoreKind) async throws {
        let server = try await Self.makeServer(kind)
        let bob = try Replica.inMemory(analyst: "bob")
        var sizes: [Int] = []
        for others in [1, 40] {
            // Alice writes from `others` laptops (each a replica of hers).
            for laptop in 0..<others {
                let alice = try Replica.inMemory(analyst: "alice")
                try Self.writeMany(alice, count: 2, prefix: "a\(others)-\(laptop)")
                var session = SyncDriver(replica: alice)
                try await session.run(over: server.transport(analyst: "alice"))
            }
            try Self.writeMany(bob, count: 1, prefix: "b\(others)")
            var session = SyncDriver(replica: bob)
            try await session.run(over: server.transport(analyst: "bob"))
            let cursor = try #require(try bob.serverCursor())
            var next = SyncSession(replica: bob.id, start: try bob.syncStart())
            #expect(next.readsFeed)
            guard case .send(let request) = try next.start() else { Issue.record("the session starts by sending"); return }
            let own = VersionVector([bob.id: try bob.store.versionVector()[bob.id]])
            #expect(request.cursor == cursor && request.vector == own)
            sizes.append(BinaryWire.encode(request).count)
            let answer = try await server.transport(analyst: "bob").send(request)
            #expect(answer.versions.isEmpty && !answer.more && answer.cursor == cursor)
            #expect(answer.vector.replicas == [bob.id], "the answer names only the requester's counters")
        }
        #expect(try bob.store.versionVector().replicas.count == 42)
        #expect(sizes[0] == sizes[1], "a request with nothing to exchange does not grow with the replicas known")
    }

    @Test(arguments: StoreKind.allCases) func aServerRestoredFromABackupRefusesStaleCursorsAndGetsBackTheWritesItLost(kind: StoreKind) async throws {
        let server = try await Self.makeServer(kind, analysts: ["alice", "bob", "carol", "dave"])
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        let carol = try Replica.inMemory(analyst: "carol"), dave = try Replica.inMemory(analyst: "dave")
        func sync(_ replica: Replica, _ store: TestServer) async throws -> SyncDriver<Replica> {
            var session = SyncDriver(replica: replica)
            try await session.run(over: store.transport(analyst: replica.analyst))
            return session
        }
        try Self.writeMany(alice, count: 3, prefix: "a")
        _ = try await sync(alice, server)
        // The nightly backup, taken now.
        let backup = try await server.backup()
        try Self.writeMany(bob, count: 2, prefix: "b")
        _ = try await sync(bob, server)
        _ = try await sync(carol, server)
        let stale = try #require(try carol.serverCursor())
        #expect(stale.seq == 5)
        // The server's disk dies; the backup is restored, and dave syncs first: the feed reaches
        // seq 5 again, with other dots.
        server.close()
        let restored = try await backup.restore()
        try Self.writeMany(dave, count: 2, prefix: "d")
        _ = try await sync(dave, restored)
        // Carol's cursor is refused; she falls back to her vector and gets dave's writes.
        var carolSync = SyncDriver(replica: carol)
        try await carolSync.run(over: restored.transport(analyst: "carol"))
        #expect(carolSync.stats.received == 2)
        #expect(try carol.serverCursor() != stale)
        // Bob's two writes were acknowledged by the lost server: he sends them again.
        let bobSync = try await sync(bob, restored)
        #expect(bobSync.stats.sent == 2)
        for replica in [alice, carol, dave] { _ = try await sync(replica, restored) }
        let dumps = try [alice, bob, carol, dave].map { try $0.store.canonicalDump() }
        let fresh = try await restored.pulledByANewReplica(of: "alice")
        let freshDump = try fresh.store.canonicalDump()
        #expect(Set(dumps).count == 1 && dumps[0] == freshDump)
        #expect(try fresh.store.versionVector().total == 7)
    }

    @Test func thePendingCountAgreesWithThePendingVersionsThroughACutSync() async throws {
        let server = try await Self.makeServer(.sqlite)
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try Self.writeMany(alice, count: 30, prefix: "a")
        try Self.writeMany(bob, count: 5, prefix: "b")
        var bobSync = SyncDriver(replica: bob)
        try await bobSync.run(over: server.transport(analyst: "bob"))
        #expect(try alice.pendingCount() == 30)
        #expect(try alice.pending().count == 30)
        var cut = SyncDriver(replica: alice, pushPageSize: 7, pullPageSize: 7)
        await #expect(throws: FlakyTransport.Dropped.self) {
            try await cut.run(over: FlakyTransport(server.transport(analyst: "alice", pageLimit: 7), allowed: 3))
        }
        let partly = try alice.pending().count
        #expect(partly > 0 && partly < 30, "\(partly) pending after a cut sync")
        #expect(try alice.pendingCount() == partly)
        var again = SyncDriver(replica: alice)
        try await again.run(over: server.transport(analyst: "alice"))
        #expect(try alice.pendingCount() == 0, "versions received from bob are not pending")
        #expect(try alice.pending().isEmpty)
    }

    @Test func theFirstRequestCarriesTheVectorAndNoVersionsAndTheNextPushesThem() throws {
        let alice = try Replica.inMemory(analyst: "alice")
        try Self.writeMany(alice, count: 3, prefix: "a")
        let bob = try Replica.inMemory(analyst: "bob")
        _ = try bob.receive(try alice.store.versions(notCoveredBy: VersionVector(), limit: 10).versions, serverVector: VersionVector())
        try Self.writeMany(bob, count: 1, prefix: "b")
        // Bob holds alice's versions and has no cursor: he sends his whole vector.
        var session = SyncSession(replica: bob.id, start: try bob.syncStart())
        guard case .send(let request) = try session.start() else { Issue.record("the session starts by sending"); return }
        #expect(request.versions.isEmpty && request.cursor == nil && !session.readsFeed)
        #expect(request.vector == VersionVector([alice.id: 3, bob.id: 1]))
        // Its last vector-mode page brings the feed's head: the pull continues by cursor, and the
        // push is read before the page is stored.
        let accepted = try session.received(SyncResponse(vector: VersionVector(), versions: [], more: false, cursor: .start), ownCounters: VersionVector([bob.id: 1]))
        guard case .readPush(let query) = accepted else { Issue.record("expected the push to be read, got \(accepted)"); return }
        let outgoing = try bob.outgoing(acknowledged: query.acknowledged, limit: query.limit, ownOnly: query.ownOnly, budget: query.budget)
        #expect(outgoing.versions.map(\.dot) == [Dot(replica: bob.id, counter: 1)])
        guard case .sendThenStore(let push, _) = try session.pushRead(vector: outgoing.vector, versions: outgoing.versions) else {
            Issue.record("the push goes with the page to store")
            return
        }
        #expect(push.versions.count == 1)
    }
}
