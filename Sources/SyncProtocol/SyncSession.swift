import Foundation
public import SyncModel

/// The client side of a sync, as a state machine that performs no I/O: it is given where the
/// replica stands and each answer, and returns the requests to send and what to store.
/// ``SyncDriver`` does the reading, writing and sending.
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
///
/// ## Guarantees
/// Every request is idempotent: re-sending versions the server holds changes nothing, and a
/// cursor is saved only with the versions it covers, so an interrupted sync resumes where it
/// stopped and no page can be skipped. The server honours a cursor only if its feed has the
/// same chain of dots up to it (see ``FeedCursor``); a refused cursor is forgotten and the
/// pull starts over from the whole vector. Each replica's versions travel in counter order.
/// A push the server refuses for its size (413, a server configured with a lower limit) is
/// sent again in halves, down to a single version.
///
/// ## What resets state
/// Between sessions the replica keeps its versions, the server's counters for its own ids
/// (used to show what is pending) and the feed cursor; a new session always starts with step 1.
public struct SyncSession: Sendable {
    /// The replica syncing.
    public let replica: ReplicaID
    /// The replica ids whose versions this replica pushes.
    public let own: Set<ReplicaID>
    public var pushPageSize: Int
    public var pullPageSize: Int
    /// Bounds each push by size as well as count (the server refuses bodies over its limit).
    public var pushBudget = PageBudget.sync
    public internal(set) var stats = SyncStats()
    /// Every counter the replica held when the session started: the first request's vector.
    private let held: VersionVector
    private var answered = false
    private var pullMore = true
    private var lastPush: [Version] = []
    private var lastSignatures: [SignedRange] = []
    /// Carried ranges sent in this session (taken, or in a request not yet answered).
    public private(set) var carriedSent: Set<SignedRange> = []
    private let publicKey: Data?
    /// For this replica's own ids: the counters the server acknowledged receiving *from this
    /// file*. Pushes start there, not at the server's vector, so that a server holding other
    /// content under our dots (a restored or copied replica file) is told so by its dot check.
    private var confirmed: VersionVector
    /// Where the pull stands in the server's feed; nil in vector mode.
    private var cursor: FeedCursor?
    /// The cursor the last request carried.
    private var sentCursor: FeedCursor?

    /// Versions per request, each way, unless the caller asks otherwise: the most a server sends
    /// by default (``PageBudget`` still bounds a page by size). Larger pages let a batch merge
    /// each touched field once for more versions (docs/performance.md has the figures);
    /// `--page-size` makes them smaller for slow or flaky links.
    public static let defaultPageSize = 20_000

    /// The page sizes a client may ask for.
    public static let pageSizes = 1...20_000

    /// A session for `replica`, which stands at `start`. A replica without a cursor that holds
    /// only its own versions pulls the feed from its start.
    public init(replica: ReplicaID, start: SyncStart, pushPageSize: Int = defaultPageSize, pullPageSize: Int = defaultPageSize) {
        self.replica = replica
        self.own = start.own
        held = start.vector
        self.pushPageSize = pushPageSize
        self.pullPageSize = pullPageSize
        confirmed = start.acknowledged
        publicKey = start.publicKey
        cursor = start.cursor ?? (start.vector.replicas.allSatisfy(start.own.contains) ? .start : nil)
    }

    /// Whether the pull reads the server's feed after a cursor (else it sends the whole vector).
    public var readsFeed: Bool { cursor != nil }

    /// The first request: no versions, as the client does not yet know what the server holds.
    public mutating func firstRequest() -> SyncRequest {
        lastPush = []
        lastSignatures = []
        sentCursor = cursor
        var vector = held
        if cursor != nil {
            vector = VersionVector()
            for id in own { vector[id] = held[id] }
        }
        return SyncRequest(replica: replica, vector: vector, cursor: cursor, versions: [], pageLimit: pullPageSize, publicKey: publicKey)
    }

    /// What the next request pushes: this replica's own versions that `acknowledged` does not
    /// cover, at most `limit` within `budget`, with the vector it sends (own counters only when
    /// `ownOnly`). Read it with ``SyncReplica/outgoing(acknowledged:limit:ownOnly:budget:)``.
    public var pushQuery: (acknowledged: VersionVector, limit: Int, ownOnly: Bool, budget: PageBudget) {
        (confirmed, pushPageSize, cursor != nil, pushBudget)
    }

    /// The request after an answer, given what ``pushQuery`` read; nil when the sync is
    /// complete (nothing to push, and the server said nothing more is waiting).
    /// `carried`, read with ``SyncReplica/carried(limit:budget:excluding:)`` only when `push` is
    /// empty, leaves out ``carriedSent``.
    public mutating func nextRequest(vector: VersionVector, push: [Version], carried: CarriedPage = CarriedPage()) -> SyncRequest? {
        // Carried versions come only with an empty push: no page is copied to join them.
        let push = carried.versions.isEmpty ? push : push + carried.versions
        guard !push.isEmpty || pullMore else { return nil }
        lastPush = push
        lastSignatures = carried.signatures
        carriedSent.formUnion(carried.signatures)
        sentCursor = cursor
        return SyncRequest(replica: replica, vector: vector, cursor: cursor, versions: push, pageLimit: pullPageSize,
                           signatures: carried.signatures)
    }

    /// After the server refused the last request's push for its size (413), halves the push
    /// page, so that the next request carries fewer versions. Rethrows any other error, and
    /// throws ``SyncError/pushRefused(_:)`` when a single version was refused.
    public mutating func shrinkPush(after error: any Error) throws {
        guard case SyncError.server(status: 413, let code, let message) = error,
              code == "body_too_large" || code == "too_many_versions", !lastPush.isEmpty else { throw error }
        guard lastPush.count > 1, lastSignatures.count != 1 else { throw SyncError.pushRefused(message) }
        // The refused ranges go again, fewer at a time.
        carriedSent.subtract(lastSignatures)
        pushPageSize = lastPush.count / 2
    }

    /// The server's codes for carried versions it will not take (see ``ExchangeRefusal``).
    static let carriedRefusals: Set<String> = ["bad_signature", "unknown_key", "unsigned_version", "author_mismatch"]

    /// A carried range the server refused, and why.
    public struct RefusedRange: Sendable, Equatable {
        public var range: SignedRange
        public var code: String
        public var message: String
        /// Whether it may pass later (its author has not synced yet), so it stays to carry.
        public var mayPassLater: Bool { code == "unknown_key" }
    }

    /// After the server refused the last request, storing nothing: a push too large (413) goes
    /// again in halves (see ``shrinkPush(after:)``); carried ranges the server will not take
    /// (403) go again one at a time to find the refused one, which is then returned (and
    /// counted in ``stats``) and not sent again this session. Rethrows any other error.
    public mutating func recover(from error: any Error) throws -> RefusedRange? {
        if case SyncError.server(status: 413, _, _) = error {
            try shrinkPush(after: error)
            return nil
        }
        return try isolateRefusal(after: error)
    }

    private mutating func isolateRefusal(after error: any Error) throws -> RefusedRange? {
        let code: String, message: String
        switch error {
        case SyncError.server(status: 403, let answered, let text): (code, message) = (answered, text)
        case let refusal as ExchangeRefusal: (code, message) = (refusal.code, refusal.description)
        default: throw error
        }
        guard Self.carriedRefusals.contains(code), !lastSignatures.isEmpty,
              lastPush.count == lastSignatures.reduce(0, { $0 + $1.count }) else { throw error }
        guard lastSignatures.count == 1 else {
            carriedSent.subtract(lastSignatures)
            pushPageSize = 1
            return nil
        }
        let refused = RefusedRange(range: lastSignatures[0], code: code, message: message)
        stats.refusedCarried.append(refused)
        return refused
    }

    /// What to store with an accepted answer's versions, in one transaction.
    public struct PageUpdate: Sendable, Equatable {
        /// The server's counters for this replica's own ids, as acknowledged.
        public var serverVector: VersionVector
        public var cursor: CursorChange
        /// Carried ranges the server took with this answer.
        public var delivered: [SignedRange] = []
    }

    /// Checks the server's answer to the last request and moves the session past it; the
    /// answer's versions are then stored with the returned update. `ownCounters` are the
    /// replica's counters for ``own``.
    public mutating func accept(_ response: SyncResponse, ownCounters local: VersionVector) throws -> PageUpdate {
        guard response.protocolVersion == WireProtocol.version else {
            throw SyncError.protocolMismatch(response.protocolVersion)
        }
        // The server did not recognise our cursor (its database was replaced or restored).
        let refused = sentCursor != nil && response.cursor == nil
        if response.more && response.versions.isEmpty && lastPush.isEmpty && answered && !refused {
            throw SyncError.noProgress
        }
        // Only this file writes our replica ids: a server holding more of them than we do, or
        // sending us any, holds writes this file does not have.
        for id in own where response.vector[id] > local[id] || response.versions.contains(where: { $0.dot.replica == id }) {
            throw SyncError.replicaForked(id, local: local[id], server: response.vector[id])
        }
        var acknowledged = confirmed
        for version in lastPush where version.dot.counter > acknowledged[version.dot.replica] {
            acknowledged[version.dot.replica] = version.dot.counter
        }
        // A server holding fewer of our writes than it once acknowledged was restored from a
        // backup: push again from what it has, or those writes would never reach it.
        for id in own where response.vector[id] < acknowledged[id] {
            acknowledged[id] = response.vector[id]
        }
        confirmed = acknowledged
        var remembered = VersionVector()
        for id in own { remembered[id] = acknowledged[id] }
        let change: CursorChange
        if refused {
            change = .clear
            cursor = nil
        } else if let reached = response.cursor, sentCursor != nil || !response.more {
            change = .set(reached)
            cursor = reached
        } else {
            change = .keep
        }
        stats.requests += 1
        stats.sent += lastPush.count
        answered = true
        pullMore = response.more || refused
        return PageUpdate(serverVector: remembered, cursor: change, delivered: lastSignatures)
    }

    /// Counts what storing a page (or settling field states) did.
    public mutating func count(_ report: ApplyReport) {
        stats.received += report.new
        stats.cleanMerges += report.cleanMerges
        // A conflict a later page closes is no longer new.
        stats.newConflicts.removeAll(where: report.closedConflicts.contains)
        stats.newConflicts += report.newConflicts
    }
}

/// Counts of one sync session.
public struct SyncStats: Sendable, Equatable {
    public var requests = 0
    public var sent = 0
    public var received = 0
    public var cleanMerges = 0
    /// Conflicts opened by this session and still open at its end.
    public var newConflicts: [ConflictID] = []
    /// Set while a first sync derives its field states, after its last page.
    public var derivingFields = false
    /// Carried ranges the server refused.
    public var refusedCarried: [SyncSession.RefusedRange] = []

    public init() {}
}
