import Foundation
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

    /// Answers every read with nothing to push, until the session sends, stores or finishes.
    static func nothingToPush(_ session: inout SyncSession, after action: SyncSession.Action, vector: VersionVector = VersionVector()) throws -> SyncSession.Action {
        var action = action
        while true {
            switch action {
            case .readPush, .retry: action = try session.pushRead(vector: vector, versions: [])
            case .readCarried: action = try session.carriedRead(CarriedPage())
            default: return action
            }
        }
    }

    /// A session that has sent its first request and stored its answer (nothing waiting, the
    /// feed read to `.start`), now reading its first push.
    static func pushing(holding counter: UInt64) throws -> SyncSession {
        var session = Self.session(holding: VersionVector([me: counter]))
        _ = try session.start()
        let action = try session.received(Self.answer(VersionVector(), cursor: .start), ownCounters: VersionVector([me: counter]))
        #expect(action.pushQuery != nil, "a pull by cursor reads the next push before storing")
        return session
    }

    /// The request `action` sends; a page it stores beside the request is stored (reporting
    /// nothing), so the session then awaits the answer.
    static func sent(_ session: inout SyncSession, _ action: SyncSession.Action) throws -> SyncRequest? {
        if case .sendThenStore = action { #expect(try session.stored(ApplyReport()) == .awaitAnswer) }
        return action.request
    }

    /// Ranges of another replica's versions this replica carries, each `size` long.
    static func carried(_ ranges: Int, size: UInt64 = 2) -> CarriedPage {
        var page = CarriedPage()
        for index in 0..<UInt64(ranges) {
            let first = index * size + 1
            page.signatures.append(SignedRange(replica: other, first: first, last: first + size - 1, signature: Data(repeating: UInt8(index), count: 64)))
            page.versions += (first...(first + size - 1)).map { counter in
                Version(dot: Dot(replica: other, counter: counter), context: VersionVector(), record: record, kind: "cell", field: "title",
                        value: .text("carried \(counter)"), author: "bob", time: Int64(counter))
            }
        }
        return page
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

    @Test func aReplicaHoldingOnlyItsOwnVersionsReadsTheFeedFromItsStartWithOnlyItsOwnCounters() throws {
        var session = Self.session(holding: VersionVector([Self.me: 3]))
        let request = try #require(try session.start().request)
        #expect(request.cursor == .start && request.vector == VersionVector([Self.me: 3]) && request.versions.isEmpty)
        #expect(request.pageLimit == 5 && session.readsFeed)
    }

    @Test func aReplicaHoldingOthersVersionsWithoutACursorSendsItsWholeVector() throws {
        let held = VersionVector([Self.me: 1, Self.other: 2])
        var session = Self.session(holding: held)
        let request = try #require(try session.start().request)
        #expect(request.cursor == nil && request.vector == held && !session.readsFeed)
    }

    @Test func aSavedCursorIsSentWithOnlyTheOwnCounters() throws {
        var session = Self.session(holding: VersionVector([Self.me: 1, Self.other: 2]), cursor: Self.someCursor)
        let request = try #require(try session.start().request)
        #expect(request.cursor == Self.someCursor && request.vector == VersionVector([Self.me: 1]))
    }

    @Test func aVectorModePullStoresEachPageBeforeReadingThePushAndSavesTheFeedHeadOnlyWithItsLastPage() throws {
        var session = Self.session(holding: VersionVector([Self.other: 2]))
        _ = try session.start()
        let first = try session.received(Self.answer(VersionVector(), more: true, cursor: nil), ownCounters: VersionVector())
        #expect(first.update?.cursor == .keep && !session.readsFeed, "\(first)")
        let afterStore = try session.stored(ApplyReport())
        #expect(afterStore.pushQuery?.ownOnly == false, "a vector-mode push sends the whole vector")
        let next = try #require(try Self.nothingToPush(&session, after: afterStore, vector: VersionVector([Self.other: 4])).request, "more is waiting")
        #expect(next.cursor == nil && next.vector == VersionVector([Self.other: 4]))
        let last = try session.received(Self.answer(VersionVector(), cursor: Self.someCursor), ownCounters: VersionVector())
        #expect(session.readsFeed && last.pushQuery?.ownOnly == true, "the last page's cursor switches to reading the feed")
        // Nothing to push and nothing waiting: the last page is stored, and the sync ends.
        let storeLast = try Self.nothingToPush(&session, after: last)
        #expect(storeLast.update?.cursor == .set(Self.someCursor), "\(storeLast)")
        #expect(try session.stored(ApplyReport()) == .finished && session.isOver)
    }

    @Test func whilePullingByCursorTheNextRequestIsSentBeforeThePageIsStored() throws {
        var session = Self.session(holding: VersionVector(), cursor: Self.someCursor)
        _ = try session.start()
        let read = try session.received(Self.answer(VersionVector(), more: true, cursor: Self.someCursor, versions: []), ownCounters: VersionVector())
        let action = try Self.nothingToPush(&session, after: read)
        guard case .sendThenStore(let request, let update) = action else {
            Issue.record("expected the next request with the page to store beside it, got \(action)")
            return
        }
        #expect(request.cursor == Self.someCursor && update.cursor == .set(Self.someCursor))
        // The next answer is taken only once the page is stored.
        #expect(throws: SyncSession.OutOfOrder.self) { try session.received(Self.answer(VersionVector(), cursor: Self.someCursor), ownCounters: VersionVector()) }
        #expect(try session.stored(ApplyReport()) == .awaitAnswer)
        #expect(try session.received(Self.answer(VersionVector(), cursor: Self.someCursor), ownCounters: VersionVector()).pushQuery != nil)
    }

    @Test func aRefusedCursorIsForgottenAndThePullStartsOverByVector() throws {
        var session = Self.session(holding: VersionVector([Self.me: 1, Self.other: 2]), cursor: Self.someCursor)
        _ = try session.start()
        // A server restored from a backup answers a cursor it does not know with none.
        let action = try session.received(Self.answer(VersionVector([Self.me: 1]), more: true, cursor: nil), ownCounters: VersionVector([Self.me: 1]))
        #expect(action.update?.cursor == .clear && !session.readsFeed)
        let query = try #require(try session.stored(ApplyReport()).pushQuery)
        #expect(query.ownOnly == false)
        let again = try #require(try Self.nothingToPush(&session, after: .readPush(query), vector: VersionVector([Self.me: 1, Self.other: 2])).request)
        #expect(again.cursor == nil && again.vector == VersionVector([Self.me: 1, Self.other: 2]))
    }

    @Test func anAnswerInAnotherProtocolVersionIsRefused() throws {
        var session = Self.session(holding: VersionVector())
        _ = try session.start()
        #expect(throws: SyncError.protocolMismatch(3)) {
            try session.received(SyncResponse(vector: VersionVector(), versions: [], more: false, protocolVersion: 3), ownCounters: VersionVector())
        }
        #expect(session.isOver, "an error leaves the session failed")
    }

    @Test func anAnswerPromisingMoreButSendingNothingTwiceIsRefused() throws {
        var session = Self.session(holding: VersionVector())
        _ = try session.start()
        let read = try session.received(Self.answer(VersionVector(), more: true, cursor: .start), ownCounters: VersionVector())
        let next = try Self.nothingToPush(&session, after: read)
        #expect(next.request != nil)
        _ = try session.stored(ApplyReport())
        #expect(throws: SyncError.noProgress) {
            try session.received(Self.answer(VersionVector(), more: true, cursor: .start), ownCounters: VersionVector())
        }
    }

    @Test func aServerAheadOfThisFileOnItsOwnIdIsAFork() throws {
        var session = Self.session(holding: VersionVector([Self.me: 3]))
        _ = try session.start()
        #expect(throws: SyncError.replicaForked(Self.me, local: 3, server: 5)) {
            try session.received(Self.answer(VersionVector([Self.me: 5]), cursor: .start), ownCounters: VersionVector([Self.me: 3]))
        }
        // A failed session takes no more events.
        #expect(throws: SyncSession.OutOfOrder.self) { try session.pushRead(vector: VersionVector(), versions: []) }
    }

    @Test func aServerSendingThisReplicasOwnVersionsIsAFork() throws {
        var session = Self.session(holding: VersionVector([Self.me: 3]))
        _ = try session.start()
        #expect(throws: SyncError.replicaForked(Self.me, local: 3, server: 3)) {
            try session.received(Self.answer(VersionVector([Self.me: 3]), cursor: .start, versions: Self.mine(3...3)),
                                 ownCounters: VersionVector([Self.me: 3]))
        }
    }

    @Test func pushesStartAtWhatTheServerAcknowledgedAndGrowWithEachPushItTook() throws {
        var session = Self.session(holding: VersionVector([Self.me: 5]), acknowledged: VersionVector([Self.me: 3]), cursor: Self.someCursor)
        _ = try session.start()
        let first = try session.received(Self.answer(VersionVector([Self.me: 3]), cursor: Self.someCursor), ownCounters: VersionVector([Self.me: 5]))
        let query = try #require(first.pushQuery)
        #expect(query.acknowledged == VersionVector([Self.me: 3]) && query.limit == 8 && query.ownOnly)
        let pushAction = try session.pushRead(vector: VersionVector([Self.me: 5]), versions: Self.mine(4...5))
        guard case .sendThenStore(let push, let update) = pushAction else {
            Issue.record("expected the push with the first page to store, got \(pushAction)")
            return
        }
        #expect(push.versions.count == 2 && push.cursor == Self.someCursor)
        #expect(update.serverVector == VersionVector([Self.me: 3]))
        #expect(try session.stored(ApplyReport()) == .awaitAnswer)
        let second = try session.received(Self.answer(VersionVector([Self.me: 5]), cursor: Self.someCursor), ownCounters: VersionVector([Self.me: 5]))
        #expect(second.pushQuery?.acknowledged == VersionVector([Self.me: 5]))
        let last = try Self.nothingToPush(&session, after: second, vector: VersionVector([Self.me: 5]))
        #expect(last.update?.serverVector == VersionVector([Self.me: 5]) && last.update?.cursor == .set(Self.someCursor))
        #expect(session.stats.sent == 2 && session.stats.requests == 2)
        #expect(try session.stored(ApplyReport()) == .finished)
    }

    @Test func aServerRestoredFromABackupIsSentAgainWhatItLost() throws {
        var session = Self.session(holding: VersionVector([Self.me: 5]), acknowledged: VersionVector([Self.me: 5]), cursor: Self.someCursor)
        _ = try session.start()
        let action = try session.received(Self.answer(VersionVector([Self.me: 2]), cursor: nil), ownCounters: VersionVector([Self.me: 5]))
        #expect(action.update?.serverVector == VersionVector([Self.me: 2]) && action.update?.cursor == .clear)
        #expect(try session.stored(ApplyReport()).pushQuery?.acknowledged == VersionVector([Self.me: 2]))
    }

    @Test func aPushRefusedForItsSizeIsHalvedDownToOneVersion() throws {
        var session = try Self.pushing(holding: 8)
        let tooLarge = SyncError.server(status: 413, code: .bodyTooLarge, message: "over 1000 bytes")
        #expect(try Self.sent(&session, try session.pushRead(vector: VersionVector([Self.me: 8]), versions: Self.mine(1...8)))?.versions.count == 8)
        let retry = try session.failed(tooLarge)
        #expect(retry == .retry(SyncSession.PushQuery(acknowledged: VersionVector(), limit: 4, ownOnly: true, budget: .sync), refused: nil))
        #expect(session.pushPageSize == 4 && session.stats.requests == 1, "the refused request is not counted")
        #expect(try Self.sent(&session, try session.pushRead(vector: VersionVector([Self.me: 8]), versions: Self.mine(1...1))) != nil)
        #expect(throws: SyncError.pushRefused("over 1000 bytes")) { try session.failed(tooLarge) }
        #expect(session.isOver)
    }

    /// The server's code decides, never the HTTP status: a gateway's 413 without the protocol's
    /// body is not the server's limit, and the server's code under another status still is.
    @Test(arguments: [
        (SyncError.server(status: 413, code: .httpError, message: "Request Entity Too Large"), false),
        (SyncError.server(status: 400, code: .tooManyVersions, message: "at most 4"), true),
        (SyncError.server(status: 403, code: .replicaNotYours, message: "not yours"), false),
        (SyncError.server(status: 413, code: .unknown("body_far_too_large"), message: "?"), false),
    ])
    func whetherARefusedPushIsHalvedIsDecidedByTheServersCode(error: SyncError, halves: Bool) throws {
        var session = try Self.pushing(holding: 8)
        _ = try Self.sent(&session, try session.pushRead(vector: VersionVector([Self.me: 8]), versions: Self.mine(1...8)))
        if halves {
            #expect(try session.failed(error).pushQuery?.limit == 4)
        } else {
            #expect(throws: error) { try session.failed(error) }
            #expect(session.isOver, "a refusal the session cannot recover from ends it")
        }
    }

    @Test func aRefusedCarriedRangeIsIsolatedAndLeftOutOfTheRestOfTheSession() throws {
        var session = try Self.pushing(holding: 0)
        let carried = Self.carried(2)
        guard case .readCarried(let query) = try session.pushRead(vector: VersionVector(), versions: []) else {
            Issue.record("an empty own push reads the carried ranges")
            return
        }
        #expect(query.excluding.isEmpty && query.limit == 8)
        let both = try #require(try Self.sent(&session, try session.carriedRead(carried)))
        #expect(both.signatures == carried.signatures && session.carriedSent == Set(carried.signatures))
        // One of the two ranges is forged: the server refuses the request, naming no range.
        let forged = SyncError.server(status: 403, code: .badSignature, message: "does not verify")
        let oneAtATime = try session.failed(forged)
        #expect(oneAtATime.pushQuery?.limit == 1 && session.carriedSent.isEmpty, "\(oneAtATime)")
        guard case .readCarried(let again) = try session.pushRead(vector: VersionVector(), versions: []) else {
            Issue.record("the carried ranges are read again")
            return
        }
        #expect(again.limit == 1 && again.excluding.isEmpty)
        let first = CarriedPage(versions: Array(carried.versions[0...1]), signatures: [carried.signatures[0]])
        #expect(try session.carriedRead(first).request?.signatures == [carried.signatures[0]])
        let isolated = try session.failed(forged)
        let refused = SyncSession.RefusedRange(range: carried.signatures[0], code: .badSignature, message: "does not verify")
        #expect(isolated == .retry(SyncSession.PushQuery(acknowledged: VersionVector(), limit: 1, ownOnly: true, budget: .sync), refused: refused))
        #expect(session.stats.refusedCarried == [refused] && !refused.mayPassLater)
        guard case .readCarried(let rest) = try session.pushRead(vector: VersionVector(), versions: []) else {
            Issue.record("the other range is read next")
            return
        }
        #expect(rest.excluding == [carried.signatures[0]], "the refused range is not sent again this session")
    }

    @Test func aRangeWhoseAuthorHasNotSyncedMayPassLater() throws {
        var session = try Self.pushing(holding: 0)
        _ = try session.pushRead(vector: VersionVector(), versions: [])
        _ = try Self.sent(&session, try session.carriedRead(Self.carried(1)))
        let action = try session.failed(ExchangeRefusal.unknownKey(replica: Self.other))
        guard case .retry(_, let refused?) = action else {
            Issue.record("expected the refused range, got \(action)")
            return
        }
        #expect(refused.code == .unknownKey && refused.mayPassLater)
    }

    @Test func aRefusalOfOwnVersionsForACarriedCodeStopsTheSync() throws {
        var session = try Self.pushing(holding: 2)
        _ = try Self.sent(&session, try session.pushRead(vector: VersionVector([Self.me: 2]), versions: Self.mine(1...2)))
        let refusal = SyncError.server(status: 403, code: .authorMismatch, message: "signed by bob")
        #expect(throws: refusal) { try session.failed(refusal) }
    }

    /// Each event in a state that cannot take it throws, and leaves the session as it was.
    @Test func eventsOutOfOrderAreRefusedAndChangeNothing() throws {
        var idle = Self.session(holding: VersionVector([Self.me: 1]))
        #expect(throws: SyncSession.OutOfOrder.self) { try idle.received(Self.answer(VersionVector(), cursor: .start), ownCounters: VersionVector()) }
        #expect(throws: SyncSession.OutOfOrder.self) { try idle.stored(ApplyReport()) }
        #expect(throws: SyncSession.OutOfOrder.self) { try idle.failed(SyncError.noProgress) }
        #expect(throws: SyncSession.OutOfOrder.self) { try idle.fieldsSettled(ApplyReport()) }
        #expect(try idle.start().request != nil, "the refused events changed nothing")
        #expect(throws: SyncSession.OutOfOrder.self) { try idle.start() }
        #expect(throws: SyncSession.OutOfOrder.self) { try idle.pushRead(vector: VersionVector(), versions: []) }
        #expect(throws: SyncSession.OutOfOrder.self) { try idle.carriedRead(CarriedPage()) }

        var reading = try Self.pushing(holding: 1)
        let answer = Self.answer(VersionVector(), cursor: .start)
        let error = try #require(throws: SyncSession.OutOfOrder.self) { try reading.received(answer, ownCounters: VersionVector([Self.me: 1])) }
        #expect(error.description.contains("given an answer while the next push was being read"), "\(error)")
        #expect(throws: SyncSession.OutOfOrder.self) { try reading.failed(SyncError.noProgress) }
        #expect(!reading.isOver && reading.stats.requests == 1)
        #expect(try reading.pushRead(vector: VersionVector([Self.me: 1]), versions: Self.mine(1...1)).request != nil)
    }

    /// After the session finished, a conflict report left to send takes one more request, even
    /// with nothing to push or pull; its answer is taken as any other.
    @Test func aFinishedSessionSendsOneMoreRequestForAConflictReport() throws {
        var session = Self.session(holding: VersionVector())
        _ = try session.start()
        func storesAndFinishes(_ action: SyncSession.Action) throws -> Bool {
            guard case .store = try Self.nothingToPush(&session, after: action) else { return false }
            return try session.stored(ApplyReport()) == .finished
        }
        #expect(try storesAndFinishes(try session.received(Self.answer(VersionVector(), cursor: .start), ownCounters: VersionVector())))
        var idle = Self.session(holding: VersionVector())
        #expect(throws: SyncSession.OutOfOrder.self) { try idle.reportConflicts() }

        let read = try session.reportConflicts()
        let request = try #require(try Self.sent(&session, try Self.nothingToPush(&session, after: read)), "nothing to push, yet it sends")
        #expect(request.versions.isEmpty && request.cursor == .start)
        #expect(try storesAndFinishes(try session.received(Self.answer(VersionVector(), cursor: .start), ownCounters: VersionVector())),
                "a round that brings nothing ends without another request")
        #expect(session.stats.requests == 2)
    }

    @Test func aConflictALaterPageClosesIsNotCountedAsNew() {
        var stats = SyncStats()
        let opened = ConflictID(record: Self.record, field: "title", heads: [Dot(replica: Self.me, counter: 1), Dot(replica: Self.other, counter: 1)])
        var first = ApplyReport()
        first.new = 2
        first.newConflicts = [opened]
        var second = ApplyReport()
        second.new = 1
        second.closedConflicts = [opened]
        stats.count(first)
        #expect(stats.newConflicts == [opened])
        stats.count(second)
        #expect(stats.newConflicts.isEmpty && stats.received == 3)
    }
}

extension SyncSession.Action {
    /// The request this action sends, if it sends one.
    var request: SyncRequest? {
        switch self {
        case .send(let request), .sendThenStore(let request, _): return request
        default: return nil
        }
    }

    /// The update this action stores, if it stores a page.
    var update: SyncSession.PageUpdate? {
        switch self {
        case .store(let update), .sendThenStore(_, let update): return update
        default: return nil
        }
    }

    /// The push this action reads, if it reads one.
    var pushQuery: SyncSession.PushQuery? {
        switch self {
        case .readPush(let query), .retry(let query, _): return query
        default: return nil
        }
    }
}
