import Foundation
public import SyncModel

/// The client side of a sync, as a state machine that performs no I/O: it is given where the
/// replica stands and each event (an answer, a refusal, a push read, a page stored), and returns
/// the ``Action`` to perform next. ``SyncDriver`` does the reading, writing and sending.
///
/// ## Message flow
/// 1. The first request carries no versions: the client does not yet know what the server
///    holds. It carries the feed cursor of the last complete pull and only this replica's own
///    counters; a replica without a cursor that holds other replicas' versions (an older file,
///    or one whose cursor the server refused) sends its whole vector instead. A fresh replica
///    starts at the feed's start.
/// 2. Each answer carries the server's counters for this replica's own ids (after storing any
///    pushed versions), a page of versions the client lacks and, in cursor mode, the feed
///    position the page reaches. The client applies the page, remembers the counters and saves
///    the cursor in one transaction. A vector-mode pull gets the feed's head with its last page
///    and continues in cursor mode.
/// 3. Each further request pushes a page of this replica's versions that the server has not
///    acknowledged, so the answer continues the pull. When none are left, it pushes versions
///    of other replicas this one carries for their authors, as whole signed ranges with their
///    signatures (see ``SignedRange``), each once per session.
/// 4. The session ends when nothing is left to push and the server said no more is waiting.
///    A driver whose replica then holds a conflict report the server has not acknowledged (see
///    ``ConflictReport``; its pages may have opened conflicts) sends one more request with it,
///    through ``reportConflicts()``; that answer is taken as any other.
///
/// ## States
/// `idle` → `start()` → `awaitingAnswer` → `received` → (`readingPush` → `readingCarried`) →
/// `awaitingAnswer` … → `finished`. While pulling by cursor the next request depends only on the
/// cursor and this replica's own writes, so it is read and sent before the page is stored
/// (``Action/sendThenStore(_:_:)``); a vector-mode pull stores first (``Action/store(_:)``), as
/// its next request carries the vector the page extends. A refused request goes back to
/// `readingPush` with a smaller push (``Action/retry(_:refused:)``). An error thrown by an event
/// leaves the session `failed`; an event out of order throws ``OutOfOrder`` and changes nothing.
///
/// ## Guarantees
/// Every request is idempotent: re-sending versions the server holds changes nothing, and a
/// cursor is saved only with the versions it covers, so an interrupted sync resumes where it
/// stopped and no page can be skipped. The server honours a cursor only if its feed has the
/// same chain of dots up to it (see ``FeedCursor``); a refused cursor is forgotten and the
/// pull starts over from the whole vector. Each replica's versions travel in counter order.
/// A push the server refuses for its size (``ServerErrorCode/bodyTooLarge``, a server
/// configured with a lower limit) is sent again in halves, down to a single version. Carried
/// ranges the server will not take are sent again one at a time, so only the refused range is
/// left out. Pages are stored in the order they arrive, each before the next answer is taken.
///
/// ## What resets state
/// Between sessions the replica keeps its versions, the server's counters for its own ids
/// (used to show what is pending) and the feed cursor; a new session always starts with step 1.
public struct SyncSession: Sendable {
    /// The replica syncing.
    public let replica: ReplicaID
    /// The replica ids whose versions this replica pushes.
    public let own: Set<ReplicaID>
    public let pullPageSize: Int
    /// Bounds each push by size as well as count (the server refuses bodies over its limit).
    public let pushBudget: PageBudget
    /// Where the session stands; the events move it (see the files beside this one).
    var state: State
    /// The bytes (``PageBudget`` units) the next request may move both ways, from the link's
    /// pace (``LinkPace/budget``), set by the driver before each request is read; nil: pages are
    /// bounded by ``pushBudget`` and the server's own bound alone. With a budget, a push takes at
    /// most that much and its request asks for a pull page of what is left (at least
    /// ``LinkPace/minimumBytes``), and while this replica's own writes wait to be sent the first
    /// request asks for a single version: they go out before the bulk of what comes in.
    public var pageBytes: Int?

    /// Versions per request, each way, unless the caller asks otherwise: the most a server sends
    /// by default (``PageBudget`` still bounds a page by size). Larger pages let a batch merge
    /// each touched field once for more versions (docs/performance.md has the figures);
    /// `--page-size` makes them smaller for slow or flaky links.
    public static let defaultPageSize = 20_000

    /// The page sizes a client may ask for.
    public static let pageSizes = 1...20_000

    /// A session for `replica`, which stands at `start`. A replica without a cursor that holds
    /// only its own versions pulls the feed from its start.
    public init(replica: ReplicaID, start: SyncStart, pushPageSize: Int = defaultPageSize, pullPageSize: Int = defaultPageSize,
                pushBudget: PageBudget = .sync) {
        self.replica = replica
        self.own = start.own
        self.pullPageSize = pullPageSize
        self.pushBudget = pushBudget
        let cursor = start.cursor ?? (start.vector.replicas.allSatisfy(start.own.contains) ? .start : nil)
        state = .idle(held: start.vector, publicKey: start.publicKey,
                      Standing(confirmed: start.acknowledged, cursor: cursor, carriedSent: [], pushPageSize: pushPageSize, stats: SyncStats(),
                               access: start.access))
    }

    // MARK: State

    /// Where the exchange stands, whatever the state: kept from the first request to the end.
    struct Standing: Sendable {
        /// For this replica's own ids: the counters the server acknowledged receiving *from this
        /// file*. Pushes start there, not at the server's vector, so that a server holding other
        /// content under our dots (a restored or copied replica file) is told so by its dot check.
        var confirmed: VersionVector
        /// Where the pull stands in the server's feed; nil in vector mode.
        var cursor: FeedCursor?
        /// Carried ranges sent in this session (taken, or in a request not yet answered).
        var carriedSent: Set<SignedRange>
        /// Versions per push; halved by a push the server refused for its size.
        var pushPageSize: Int
        var stats: SyncStats
        /// How far the replica has followed its analyst's access, as of the last answer taken
        /// (nil for a replica that does not follow it).
        var access: AccessCursor?
        /// Pushes refused as outside the analyst's clearances whose writes were set aside; each
        /// set-aside removes writes, and a session takes a few before it stops.
        var setAsides = 0
        /// Whether the next request is sent even with nothing to push and nothing to pull: it
        /// carries a conflict report (``reportConflicts()``).
        var mustSend = false
    }

    /// What a request in flight sent, to judge its answer or its refusal.
    struct Sent: Sendable {
        /// The cursor it carried.
        var cursor: FeedCursor?
        var versions: [Version]
        var signatures: [SignedRange]
        /// Whether it is the session's first request (no answer taken yet).
        var isFirst: Bool
        /// Whether the server had more waiting before it: what stands if it is refused.
        var serverHadMore: Bool
    }

    enum State: Sendable {
        /// Nothing sent yet: the replica's whole vector and its public key, for the first request.
        case idle(held: VersionVector, publicKey: Data?, Standing)
        /// A request is in flight; `storing` while the previous page is stored beside it.
        case awaitingAnswer(Sent, Standing, storing: Bool)
        /// Reading this replica's next push. `unstored` is an accepted page that is stored once the
        /// next request is on its way (or, if there is none, before finishing).
        case readingPush(serverHasMore: Bool, Standing, unstored: PageUpdate?)
        /// The own push was empty: reading what this replica carries for others.
        case readingCarried(serverHasMore: Bool, vector: VersionVector, Standing, unstored: PageUpdate?)
        /// Storing an accepted page before anything else; then reading the next push, or, with no
        /// `next`, finishing.
        case storing(next: Bool?, Standing)
        case finished(Standing)
        /// An event threw: the session is over, its counts as far as it got.
        case failed(Standing)

        var standing: Standing {
            switch self {
            case .idle(_, _, let standing), .awaitingAnswer(_, let standing, _), .readingPush(_, let standing, _),
                 .readingCarried(_, _, let standing, _), .storing(_, let standing), .finished(let standing), .failed(let standing):
                return standing
            }
        }

        var name: String {
            switch self {
            case .idle: return "nothing had been sent"
            case .awaitingAnswer(_, _, let storing): return storing ? "a page was being stored" : "an answer was awaited"
            case .readingPush: return "the next push was being read"
            case .readingCarried: return "carried versions were being read"
            case .storing: return "a page was being stored"
            case .finished: return "the sync had finished"
            case .failed: return "the sync had failed"
            }
        }
    }

    /// Counts so far.
    public var stats: SyncStats { state.standing.stats }
    /// Versions per push: the page size asked for, halved by each push refused for its size.
    public var pushPageSize: Int { state.standing.pushPageSize }
    /// Whether the pull reads the server's feed after a cursor (else it sends the whole vector).
    public var readsFeed: Bool { state.standing.cursor != nil }
    /// Carried ranges sent in this session (taken, or in a request not yet answered).
    public var carriedSent: Set<SignedRange> { state.standing.carriedSent }
    /// Whether the session is over: finished, or failed.
    public var isOver: Bool {
        switch state {
        case .finished, .failed: return true
        default: return false
        }
    }

    func outOfOrder(_ event: String) -> OutOfOrder { OutOfOrder(event: event, state: state.name) }

    func pushQuery(_ standing: Standing) -> PushQuery {
        PushQuery(acknowledged: standing.confirmed, limit: standing.pushPageSize, ownOnly: standing.cursor != nil, budget: pacedPushBudget)
    }

    /// ``pushBudget``, within ``pageBytes`` when set.
    var pacedPushBudget: PageBudget {
        guard let pageBytes, pageBytes < pushBudget.maxBytes else { return pushBudget }
        return PageBudget(maxBytes: pageBytes)
    }

    /// Whether this replica holds own writes the server has not acknowledged to this file.
    static func ownWritesWait(held: VersionVector, _ standing: Standing, own: Set<ReplicaID>) -> Bool {
        own.contains { held[$0] > standing.confirmed[$0] }
    }

    // MARK: Events

    /// Starts the session: the first request, with no versions, as the client does not yet know
    /// what the server holds.
    /// - Throws: ``OutOfOrder`` if the session has started.
    public mutating func start() throws -> Action {
        guard case .idle(let held, let publicKey, let standing) = state else { throw outOfOrder("a start") }
        var vector = held
        if standing.cursor != nil {
            vector = VersionVector()
            for id in own { vector[id] = held[id] }
        }
        var request = SyncRequest(replica: replica, vector: vector, cursor: standing.cursor, versions: [], pageLimit: pullPageSize, publicKey: publicKey,
                                  access: standing.access, pageBytes: pageBytes)
        // Own writes first: this answer's page is a single version, the pushes carry the rest.
        if let pageBytes, Self.ownWritesWait(held: held, standing, own: own) {
            (request.pageLimit, request.pageBytes) = (1, min(pageBytes, LinkPace.minimumBytes))
        }
        state = .awaitingAnswer(Sent(cursor: standing.cursor, versions: [], signatures: [], isFirst: true, serverHadMore: true),
                                standing, storing: false)
        return .send(request)
    }

    /// Checks the server's answer to the request in flight and moves past it. `ownCounters` are
    /// the replica's counters for ``own``. Returns ``Action/readPush(_:)`` while pulling by
    /// cursor (the page is stored once the next request is sent), else ``Action/store(_:)``.
    /// - Throws: ``SyncError/protocolMismatch(_:)``, ``SyncError/noProgress``,
    ///   ``SyncError/replicaForked(_:local:server:)`` (the session is then failed), or
    ///   ``OutOfOrder`` when no answer is awaited.
    public mutating func received(_ response: SyncResponse, ownCounters local: VersionVector) throws -> Action {
        guard case .awaitingAnswer(let sent, var standing, storing: false) = state else { throw outOfOrder("an answer") }
        state = .failed(standing)
        guard response.protocolVersion == WireProtocol.version else {
            throw SyncError.protocolMismatch(response.protocolVersion)
        }
        // The server did not recognise our cursor (its database was replaced or restored).
        let refused = sent.cursor != nil && response.cursor == nil
        if response.more && response.versions.isEmpty && sent.versions.isEmpty && !sent.isFirst && !refused && response.access == nil {
            throw SyncError.noProgress
        }
        // Only this file writes our replica ids: a server holding more of them than we do, or
        // sending us any, holds writes this file does not have.
        for id in own where response.vector[id] > local[id] || response.versions.contains(where: { $0.dot.replica == id }) {
            throw SyncError.replicaForked(id, local: local[id], server: response.vector[id])
        }
        var acknowledged = standing.confirmed
        for version in sent.versions where version.dot.counter > acknowledged[version.dot.replica] {
            acknowledged[version.dot.replica] = version.dot.counter
        }
        // A server holding fewer of our writes than it once acknowledged was restored from a
        // backup: push again from what it has, or those writes would never reach it.
        for id in own where response.vector[id] < acknowledged[id] {
            acknowledged[id] = response.vector[id]
        }
        standing.confirmed = acknowledged
        var remembered = VersionVector()
        for id in own { remembered[id] = acknowledged[id] }
        let change: CursorChange
        if refused {
            change = .clear
            standing.cursor = nil
        } else if let reached = response.cursor, sent.cursor != nil || !response.more {
            change = .set(reached)
            standing.cursor = reached
        } else {
            change = .keep
        }
        standing.stats.requests += 1
        standing.stats.sent += sent.versions.count
        if let access = response.access { standing.access = access.cursor }
        let update = PageUpdate(serverVector: remembered, cursor: change, delivered: sent.signatures,
                                access: ReceivedAccess(update: response.access, compartments: response.compartments ?? []))
        let more = response.more || refused
        if standing.cursor != nil {
            state = .readingPush(serverHasMore: more, standing, unstored: update)
            return .readPush(pushQuery(standing))
        }
        state = .storing(next: more, standing)
        return .store(update)
    }

    /// Takes this replica's own next push, read as ``Action/readPush(_:)`` asked: sends it, or,
    /// when there is none, asks for what the replica carries for others.
    /// - Throws: ``OutOfOrder`` when no push was asked for.
    public mutating func pushRead(vector: VersionVector, versions: [Version]) throws -> Action {
        guard case .readingPush(let more, let standing, let unstored) = state else { throw outOfOrder("a push read") }
        if !versions.isEmpty { return send(versions, signatures: [], vector: vector, serverHasMore: more, standing, unstored: unstored) }
        // Its own versions first; then what it carries for others, with no page copied to join them.
        state = .readingCarried(serverHasMore: more, vector: vector, standing, unstored: unstored)
        return .readCarried(CarriedQuery(limit: standing.pushPageSize, budget: pacedPushBudget, excluding: standing.carriedSent))
    }

    /// Takes the carried versions read as ``Action/readCarried(_:)`` asked: sends them, or asks
    /// again for the pull while the server has more; else stores the last page, or finishes.
    /// - Throws: ``OutOfOrder`` when no carried read was asked for.
    public mutating func carriedRead(_ carried: CarriedPage) throws -> Action {
        guard case .readingCarried(let more, let vector, let standing, let unstored) = state else { throw outOfOrder("a carried read") }
        if !carried.versions.isEmpty || more || standing.mustSend {
            return send(carried.versions, signatures: carried.signatures, vector: vector, serverHasMore: more, standing, unstored: unstored)
        }
        if let unstored {
            state = .storing(next: nil, standing)
            return .store(unstored)
        }
        state = .finished(standing)
        return .finished
    }

    mutating func send(
        _ versions: [Version], signatures: [SignedRange], vector: VersionVector, serverHasMore: Bool, _ standing: Standing, unstored: PageUpdate?
    ) -> Action {
        var standing = standing
        standing.mustSend = false
        if !signatures.isEmpty { standing.carriedSent.formUnion(signatures) }
        // The pull shares the request's budget with the push it rides on.
        let pullBytes = pageBytes.map { budget in
            max(budget - PageBudget.size(of: versions), min(budget, LinkPace.minimumBytes))
        }
        let request = SyncRequest(replica: replica, vector: vector, cursor: standing.cursor, versions: versions, pageLimit: pullPageSize,
                                  signatures: signatures, access: standing.access, pageBytes: pullBytes)
        let sent = Sent(cursor: standing.cursor, versions: versions, signatures: signatures, isFirst: false, serverHadMore: serverHasMore)
        state = .awaitingAnswer(sent, standing, storing: unstored != nil)
        return unstored.map { .sendThenStore(request, $0) } ?? .send(request)
    }

    /// Counts what storing a page did: then awaits the answer in flight, reads the next push,
    /// or finishes.
    /// - Throws: ``OutOfOrder`` when no page was being stored.
    public mutating func stored(_ report: ApplyReport) throws -> Action {
        switch state {
        case .awaitingAnswer(let sent, var standing, storing: true):
            standing.stats.count(report)
            state = .awaitingAnswer(sent, standing, storing: false)
            return .awaitAnswer
        case .storing(let next, var standing):
            standing.stats.count(report)
            guard let more = next else {
                state = .finished(standing)
                return .finished
            }
            state = .readingPush(serverHasMore: more, standing, unstored: nil)
            return .readPush(pushQuery(standing))
        default:
            throw outOfOrder("a stored page")
        }
    }

    /// Goes on after the session finished, to send one more request: the driver has a conflict
    /// report the server has not acknowledged (see ``ConflictReport``). Returns
    /// ``Action/readPush(_:)``; the request is sent even if nothing is left to push, and its
    /// answer is taken as any other, up to ``Action/finished`` again.
    /// - Throws: ``OutOfOrder`` unless the session has finished.
    public mutating func reportConflicts() throws -> Action {
        guard case .finished(var standing) = state else { throw outOfOrder("a conflict report") }
        standing.mustSend = true
        state = .readingPush(serverHasMore: false, standing, unstored: nil)
        return .readPush(pushQuery(standing))
    }

    /// Counts field states derived after the last page (a first sync's, see
    /// ``SyncReplica/settleFields()``).
    /// - Throws: ``OutOfOrder`` unless the session has finished.
    public mutating func fieldsSettled(_ report: ApplyReport) throws {
        guard case .finished(var standing) = state else { throw outOfOrder("settled field states") }
        standing.stats.count(report)
        state = .finished(standing)
    }
}
