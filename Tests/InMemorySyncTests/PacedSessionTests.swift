import Foundation
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// A session with a byte budget per request (``SyncSession/pageBytes``): pages sized to it, and
/// own writes sent before the bulk of what comes in.
@Suite struct PacedSessionTests {
    typealias Machine = SyncSessionMachineTests
    static let me = Machine.me

    @Test func withOwnWritesWaitingTheFirstAnswerIsOneVersionAndThePushCarriesThePullsShare() throws {
        var session = Machine.session(holding: VersionVector([Self.me: 3]))
        session.pageBytes = 100_000
        let first = try #require(try session.start().request)
        #expect(first.pageLimit == 1 && first.pageBytes == LinkPace.minimumBytes, "\(first)")
        // More is waiting; the push goes next, its request asking for what its budget leaves.
        let action = try session.received(Machine.answer(VersionVector(), more: true, cursor: .start), ownCounters: VersionVector([Self.me: 3]))
        let query = try #require(action.pushQuery)
        #expect(query.budget.maxBytes == 100_000)
        let push = Machine.mine(1...3)
        let request = try #require(try Machine.sent(&session, try session.pushRead(vector: VersionVector([Self.me: 3]), versions: push)))
        let pushed = push.reduce(0) { $0 + PageBudget.size($1) }
        #expect(request.versions.count == 3 && request.pageBytes == 100_000 - pushed && request.pageLimit == 5, "\(request)")
    }

    @Test func aPushThatFillsTheBudgetLeavesThePullItsSmallestPage() throws {
        var session = try Machine.pushing(holding: 8)
        session.pageBytes = 2_000
        let action = try session.pushRead(vector: VersionVector([Self.me: 8]), versions: Machine.mine(1...8))
        let request = try #require(try Machine.sent(&session, action))
        // The smallest page, which is the whole budget when that is under the minimum.
        #expect(request.pageBytes == 2_000, "\(request)")
    }

    @Test func withNothingOfItsOwnWaitingTheFirstAnswerIsAWholeBudget() throws {
        var session = Machine.session(holding: VersionVector([Self.me: 3]), acknowledged: VersionVector([Self.me: 3]))
        session.pageBytes = 100_000
        let first = try #require(try session.start().request)
        #expect(first.pageLimit == 5 && first.pageBytes == 100_000)
    }

    @Test func withoutABudgetRequestsAreAsBefore() throws {
        var session = Machine.session(holding: VersionVector([Self.me: 3]))
        let first = try #require(try session.start().request)
        #expect(first.pageLimit == 5 && first.pageBytes == nil)
        let action = try session.received(Machine.answer(VersionVector(), more: true, cursor: .start), ownCounters: VersionVector([Self.me: 3]))
        #expect(action.pushQuery?.budget == .sync)
    }

    @Test func aPageBudgetCrossesTheWireAndTheServerKeepsItsOwnBound() throws {
        let request = SyncRequest(replica: Self.me, vector: VersionVector(), cursor: .start, versions: [], pageLimit: 9, pageBytes: 123_456)
        #expect(try BinaryWire.decodeRequest(BinaryWire.encode(request)) == request)
        #expect(try JSONDecoder().decode(SyncRequest.self, from: WireProtocol.encode(request)) == request)
        var without = request
        without.pageBytes = nil
        #expect(try BinaryWire.decodeRequest(BinaryWire.encode(without)).pageBytes == nil)
        #expect(BinaryWire.encode(without).count < BinaryWire.encode(request).count, "no budget, no section")
        #expect(PageBudget.answering(nil).maxBytes == PageBudget.syncBytes)
        #expect(PageBudget.answering(5_000).maxBytes == 5_000)
        #expect(PageBudget.answering(1 << 40).maxBytes == PageBudget.syncBytes)
        #expect(PageBudget.answering(0).maxBytes == 1)
    }

    @Test func theServerAnswersWithinTheBudgetTheRequestAsks() async throws {
        let server = MemoryServerStorage()
        let author = ReplicaID.random()
        let versions = (1...50).map { counter in
            Version(dot: Dot(replica: author, counter: UInt64(counter)), context: VersionVector(), record: .random(), kind: "cell", field: "title",
                    value: .text(String(repeating: "x", count: 1_000)), author: "alice", time: Int64(counter))
        }
        _ = try await server.exchange(analyst: "alice", requester: author, clientVector: VersionVector([author: 50]), versions: versions, pageLimit: 1, at: 0)
        let reader = ReplicaID.random()
        func page(_ bytes: Int?) async throws -> Int {
            let request = SyncRequest(replica: reader, vector: VersionVector(), cursor: .start, versions: [], pageLimit: 100, pageBytes: bytes)
            return try await server.answer(request, analyst: "bob", defaultPageSize: 100, maxPageSize: 100, at: 0).response.versions.count
        }
        // Each version counts about 1,130 bytes: four fit in 5,000, and one always goes.
        #expect(try await page(5_000) == 4)
        #expect(try await page(10) == 1)
        #expect(try await page(nil) == 50)
    }
}
