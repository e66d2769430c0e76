import SyncModel
import SyncProtocol
import Testing

/// The client's state machine alone: given where a replica stands and the server's answers, the
/// requests it makes and what it says to store. No replica, no server, no I/O.
@Suite struct SyncSessionMachineTests {
    static let me = ReplicaID("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")!
    static let other = ReplicaID("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")!
    static let record = RecordID("11111111-1111-4111-8111-111111111111")!
    static let someCursor = FeedCursor.start.advanced(by: Dot(replica: other, counter: 1))

    static func session(holding vector: VersionVector, acknowledged: VersionVector = VersionVector(), cursor: FeedCursor? = nil) -> SyncSession {
        SyncSession(replica: me, start: SyncStart(own: [me], acknowledged: acknowledged, cursor: cursor, vector: vector), pushPageSize: 8, pullPageSize: 5)
    }

    /// This replica's versions `counters`, as its own writes.
    static func mine(_ counters: ClosedRange<UInt64>) -> [Version] {
        counters.map { counter in
            Version(dot: Dot(replica: me, counter: counter), context: counter == 1 ? VersionVector() : VersionVector([me: counter - 1]),
                    record: record, kind: "cell", field: "title", value: .text("title \(counter)"), author: "alice", time: Int64(counter))
        }
    }

    static func answer(_ vector: VersionVector, more: Bool = false, cursor: FeedCursor?, versions: [Version] = []) -> SyncResponse {
        SyncResponse(vector: vector, versions: versions, more: more, cursor: cursor)
    }

    @Test func aReplicaHoldingOnlyItsOwnVersionsReadsTheFeedFromItsStartWithOnlyItsOwnCounters() {
        var session = Self.session(holding: VersionVector([Self.me: 3]))
        let request = session.firstRequest()
        #expect(request.cursor == .start && request.vector == VersionVector([Self.me: 3]) && request.versions.isEmpty)
        #expect(request.pageLimit == 5 && session.readsFeed)
    }

    @Test func aReplicaHoldingOthersVersionsWithoutACursorSendsItsWholeVector() {
        let held = VersionVector([Self.me: 1, Self.other: 2])
        var session = Self.session(holding: held)
        let request = session.firstRequest()
        #expect(request.cursor == nil && request.vector == held && !session.readsFeed)
    }

    @Test func aSavedCursorIsSentWithOnlyTheOwnCounters() {
        var session = Self.session(holding: VersionVector([Self.me: 1, Self.other: 2]), cursor: Self.someCursor)
        let request = session.firstRequest()
        #expect(request.cursor == Self.someCursor && request.vector == VersionVector([Self.me: 1]))
    }

    @Test func aVectorModePullSavesTheFeedHeadOnlyWithItsLastPage() throws {
        var session = Self.session(holding: VersionVector([Self.other: 2]))
        _ = session.firstRequest()
        let first = try session.accept(Self.answer(VersionVector(), more: true, cursor: nil), ownCounters: VersionVector())
        #expect(first.cursor == .keep && !session.readsFeed)
        let nextRequest = session.nextRequest(vector: VersionVector([Self.other: 4]), push: [])
        let next = try #require(nextRequest, "more is waiting")
        #expect(next.cursor == nil)
        let last = try session.accept(Self.answer(VersionVector(), cursor: Self.someCursor), ownCounters: VersionVector())
        #expect(last.cursor == .set(Self.someCursor) && session.readsFeed)
        #expect(session.nextRequest(vector: VersionVector(), push: []) == nil, "nothing to push and nothing waiting")
    }

    @Test func aRefusedCursorIsForgottenAndThePullStartsOverByVector() throws {
        var session = Self.session(holding: VersionVector([Self.me: 1, Self.other: 2]), cursor: Self.someCursor)
        _ = session.firstRequest()
        // A server restored from a backup answers a cursor it does not know with none.
        let update = try session.accept(Self.answer(VersionVector([Self.me: 1]), more: true, cursor: nil), ownCounters: VersionVector([Self.me: 1]))
        #expect(update.cursor == .clear && !session.readsFeed && session.pushQuery.ownOnly == false)
        let againRequest = session.nextRequest(vector: VersionVector([Self.me: 1, Self.other: 2]), push: [])
        let again = try #require(againRequest)
        #expect(again.cursor == nil && again.vector == VersionVector([Self.me: 1, Self.other: 2]))
    }

    @Test func anAnswerInAnotherProtocolVersionIsRefused() {
        var session = Self.session(holding: VersionVector())
        _ = session.firstRequest()
        #expect(throws: SyncError.protocolMismatch(3)) {
            try session.accept(SyncResponse(vector: VersionVector(), versions: [], more: false, protocolVersion: 3), ownCounters: VersionVector())
        }
    }

    @Test func anAnswerPromisingMoreButSendingNothingTwiceIsRefused() throws {
        var session = Self.session(holding: VersionVector())
        _ = session.firstRequest()
        _ = try session.accept(Self.answer(VersionVector(), more: true, cursor: .start), ownCounters: VersionVector())
        #expect(session.nextRequest(vector: VersionVector(), push: []) != nil)
        #expect(throws: SyncError.noProgress) {
            try session.accept(Self.answer(VersionVector(), more: true, cursor: .start), ownCounters: VersionVector())
        }
    }

    @Test func aServerAheadOfThisFileOnItsOwnIdIsAFork() {
        var session = Self.session(holding: VersionVector([Self.me: 3]))
        _ = session.firstRequest()
        #expect(throws: SyncError.replicaForked(Self.me, local: 3, server: 5)) {
            try session.accept(Self.answer(VersionVector([Self.me: 5]), cursor: .start), ownCounters: VersionVector([Self.me: 3]))
        }
    }

    @Test func aServerSendingThisReplicasOwnVersionsIsAFork() {
        var session = Self.session(holding: VersionVector([Self.me: 3]))
        _ = session.firstRequest()
        #expect(throws: SyncError.replicaForked(Self.me, local: 3, server: 3)) {
            try session.accept(Self.answer(VersionVector([Self.me: 3]), cursor: .start, versions: Self.mine(3...3)),
                               ownCounters: VersionVector([Self.me: 3]))
        }
    }

    @Test func pushesStartAtWhatTheServerAcknowledgedAndGrowWithEachPushItTook() throws {
        var session = Self.session(holding: VersionVector([Self.me: 5]), acknowledged: VersionVector([Self.me: 3]), cursor: Self.someCursor)
        _ = session.firstRequest()
        let first = try session.accept(Self.answer(VersionVector([Self.me: 3]), cursor: Self.someCursor), ownCounters: VersionVector([Self.me: 5]))
        #expect(first.serverVector == VersionVector([Self.me: 3]))
        #expect(session.pushQuery.acknowledged == VersionVector([Self.me: 3]) && session.pushQuery.limit == 8 && session.pushQuery.ownOnly)
        let pushRequest = session.nextRequest(vector: VersionVector([Self.me: 5]), push: Self.mine(4...5))
        let push = try #require(pushRequest)
        #expect(push.versions.count == 2 && push.cursor == Self.someCursor)
        let second = try session.accept(Self.answer(VersionVector([Self.me: 5]), cursor: Self.someCursor), ownCounters: VersionVector([Self.me: 5]))
        #expect(second.serverVector == VersionVector([Self.me: 5]) && second.cursor == .set(Self.someCursor))
        #expect(session.stats.sent == 2 && session.stats.requests == 2)
        #expect(session.nextRequest(vector: VersionVector([Self.me: 5]), push: []) == nil)
    }

    @Test func aServerRestoredFromABackupIsSentAgainWhatItLost() throws {
        var session = Self.session(holding: VersionVector([Self.me: 5]), acknowledged: VersionVector([Self.me: 5]), cursor: Self.someCursor)
        _ = session.firstRequest()
        let update = try session.accept(Self.answer(VersionVector([Self.me: 2]), cursor: nil), ownCounters: VersionVector([Self.me: 5]))
        #expect(update.serverVector == VersionVector([Self.me: 2]) && update.cursor == .clear)
        #expect(session.pushQuery.acknowledged == VersionVector([Self.me: 2]))
    }

    @Test func aPushRefusedForItsSizeIsHalvedDownToOneVersion() throws {
        var session = Self.session(holding: VersionVector([Self.me: 8]))
        _ = session.firstRequest()
        _ = try session.accept(Self.answer(VersionVector(), cursor: .start), ownCounters: VersionVector([Self.me: 8]))
        let tooLarge = SyncError.server(status: 413, code: "body_too_large", message: "over 1000 bytes")
        #expect(session.nextRequest(vector: VersionVector([Self.me: 8]), push: Self.mine(1...8)) != nil)
        try session.shrinkPush(after: tooLarge)
        #expect(session.pushPageSize == 4)
        #expect(session.nextRequest(vector: VersionVector([Self.me: 8]), push: Self.mine(1...1)) != nil)
        #expect(throws: SyncError.pushRefused("over 1000 bytes")) { try session.shrinkPush(after: tooLarge) }
        let other = SyncError.server(status: 403, code: "replica_not_yours", message: "no")
        #expect(throws: other) { try session.shrinkPush(after: other) }
    }

    @Test func aConflictALaterPageClosesIsNotCountedAsNew() {
        var session = Self.session(holding: VersionVector())
        let opened = ConflictID(record: Self.record, field: "title", heads: [Dot(replica: Self.me, counter: 1), Dot(replica: Self.other, counter: 1)])
        var first = ApplyReport()
        first.new = 2
        first.newConflicts = [opened]
        var second = ApplyReport()
        second.new = 1
        second.closedConflicts = [opened]
        session.count(first)
        #expect(session.stats.newConflicts == [opened])
        session.count(second)
        #expect(session.stats.newConflicts.isEmpty && session.stats.received == 3)
    }
}
