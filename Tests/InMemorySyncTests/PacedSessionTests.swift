import Foundation
import SyncModel
import SyncProtocol
import Testing

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
}
