import Foundation
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// Hands each request to an in-memory server storage, through the server's policy.
struct MemoryTransport: SyncTransport {
    let server: MemoryServerStorage
    let analyst: String
    var pageLimit = 7
    /// Draws whether an answer is lost after the server stored the request.
    var loses: (@Sendable () -> Bool)?

    struct AnswerLost: Error {}

    func send(_ request: SyncRequest) async throws -> SyncResponse {
        let answer = try await InProcessTransport(store: server, analyst: analyst, pageLimit: pageLimit).send(request)
        if let loses, loses() { throw AnswerLost() }
        return answer
    }
}

/// The session driven over an in-memory replica and server: the protocol's guarantees with no
/// database and no network.
@Suite struct InMemorySyncTests {
    /// A shared source of random draws for the transports and the test, reproducible from a seed.
    final class Draws: @unchecked Sendable {
        private var random: SplitMix64
        private let lock = NSLock()
        init(seed: UInt64) { random = SplitMix64(seed: seed) }
        func int(_ range: Range<Int>) -> Int { lock.withLock { Int.random(in: range, using: &random) } }
        func chance(_ percent: Int) -> Bool { int(0..<100) < percent }
    }

    @Test("replicas syncing through lost answers and crashed pages converge with nothing lost", arguments: testSeeds(count: 60, base: 0xC0_5E55))
    func replicasConvergeThroughFaults(seed: UInt64) async throws {
        let draws = Draws(seed: seed)
        var ids = SplitMix64(seed: seed ^ 0x1D5)
        let server = MemoryServerStorage()
        let analysts = ["alice", "bob"]
        let replicas = (0..<4).map { MemoryReplica(id: ReplicaID(HistoryGenerator.uuid(&ids))!, analyst: analysts[$0 % 2]) }
        let records = (0..<3).map { _ in RecordID(HistoryGenerator.uuid(&ids))! }
        var values = SplitMix64(seed: seed ^ 0x7A1)
        let cell = try #require(SchemaRegistry.standard["cell"])
        var written = 0
        for step in 0..<40 {
            let replica = replicas[draws.int(0..<replicas.count)]
            if draws.chance(60) {
                let record = records[draws.int(0..<records.count)]
                let field = cell.fields[draws.int(0..<cell.fields.count)]
                let value = RandomValues.value(for: field, current: nil, using: &values)
                replica.write(record: record, kind: "cell", field: field.name, value: value, at: Int64(step))
                written += 1
                continue
            }
            // A sync that may lose answers or crash before storing a page; a failed one is
            // simply run again later, as a person would.
            let loses: (@Sendable () -> Bool)? = draws.chance(30) ? { @Sendable in draws.chance(25) } : nil
            let transport = MemoryTransport(server: server, analyst: replica.analyst, pageLimit: draws.int(1..<6), loses: loses)
            replica.receivesBeforeFailure = draws.chance(20) ? draws.int(0..<3) : nil
            var driver = SyncDriver(replica: replica, pushPageSize: draws.int(1..<6), pullPageSize: draws.int(1..<6))
            do {
                try await driver.run(over: transport)
            } catch is MemoryTransport.AnswerLost {
            } catch is MemoryReplica.Crash {
            }
            replica.receivesBeforeFailure = nil
        }
        // Two quiet rounds: everyone's writes reach the server, then everyone.
        for _ in 0..<2 {
            for replica in replicas {
                var driver = SyncDriver(replica: replica, pushPageSize: 3, pullPageSize: 4)
                try await driver.run(over: MemoryTransport(server: server, analyst: replica.analyst))
            }
        }
        let held = server.versions
        #expect(held.count == written, "seed \(seed): the server lost or invented writes")
        #expect(Set(server.feed).count == held.count && server.feed.count == held.count, "seed \(seed): each version once in the feed")
        for replica in replicas {
            #expect(replica.versions == held, "seed \(seed): replica \(replica.id.short) differs from the server")
        }
        var expected = ReferenceModel()
        expected.integrate(held)
        for replica in replicas {
            var model = ReferenceModel()
            model.integrate(replica.versions.reversed())
            #expect(model.state() == expected.state(), "seed \(seed)")
        }
        // Every replica pulls by cursor now, and a no-op sync exchanges nothing.
        for replica in replicas {
            #expect(replica.savedCursor != nil, "seed \(seed)")
            var driver = SyncDriver(replica: replica)
            try await driver.run(over: MemoryTransport(server: server, analyst: replica.analyst))
            #expect(driver.stats.requests == 1 && driver.stats.sent == 0 && driver.stats.received == 0, "seed \(seed): \(driver.stats)")
        }
    }

    @Test func aFreshReplicaGetsEverythingInPagesAndReadsByCursorAfterwards() async throws {
        let server = MemoryServerStorage()
        let record = RecordID("11111111-1111-4111-8111-111111111111")!
        let alice = MemoryReplica(id: .random(), analyst: "alice")
        for index in 0..<23 { alice.write(record: record, kind: "cell", field: "title", value: .text("v\(index)"), at: Int64(index)) }
        var push = SyncDriver(replica: alice, pushPageSize: 4, pullPageSize: 4)
        try await push.run(over: MemoryTransport(server: server, analyst: "alice"))
        #expect(push.stats.sent == 23 && push.stats.requests == 7)
        let bob = MemoryReplica(id: .random(), analyst: "bob")
        var pages: [Int] = []
        var pull = SyncDriver(replica: bob, pullPageSize: 5)
        try await pull.run(over: MemoryTransport(server: server, analyst: "bob", pageLimit: 5)) { pages.append($0.received) }
        #expect(pages == [5, 10, 15, 20, 23])
        #expect(bob.versions == alice.versions && bob.savedCursor?.seq == 23)
    }
}
