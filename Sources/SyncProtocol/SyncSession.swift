public import LocalStore
public import SyncModel

/// The client side of a sync, as a state machine that performs no I/O.
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
///    acknowledged, so the answer continues the pull.
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
    public let replica: Replica
    public var pushPageSize: Int
    public var pullPageSize: Int
    /// Bounds each push by size as well as count (the server refuses bodies over its limit).
    public var pushBudget = PageBudget.sync
    public private(set) var stats = SyncStats()
    private var serverVector: VersionVector?
    private var pullMore = true
    private var lastPush: [Version] = []
    /// For this replica's own ids: the counters the server acknowledged receiving *from this
    /// file*. Pushes start there, not at the server's vector, so that a server holding other
    /// content under our dots (a restored or copied replica file) is told so by its dot check.
    private var confirmed: VersionVector?
    private var own: Set<ReplicaID> = []
    /// Where the pull stands in the server's feed; nil in vector mode.
    private var cursor: FeedCursor?
    /// The cursor the last request carried.
    private var sentCursor: FeedCursor?

    /// Versions per request, each way, unless the caller asks otherwise: the most a server sends
    /// by default (``PageBudget`` still bounds a page by size). Larger pages let a batch merge
    /// each touched field once for more versions (the README's Performance section has the
    /// figures); `--page-size` makes them smaller for slow or flaky links.
    public static let defaultPageSize = 20_000

    /// The page sizes a client may ask for.
    public static let pageSizes = 1...20_000

    public init(replica: Replica, pushPageSize: Int = defaultPageSize, pullPageSize: Int = defaultPageSize) {
        self.replica = replica
        self.pushPageSize = pushPageSize
        self.pullPageSize = pullPageSize
    }

    /// Whether the pull reads the server's feed after a cursor (else it sends the whole vector).
    public var readsFeed: Bool { cursor != nil }

    /// The next request to send, or nil when the sync is complete.
    public mutating func nextRequest() throws -> SyncRequest? {
        if serverVector == nil {
            own = try replica.ownReplicas()
            confirmed = try replica.lastServerVector()
            var start = try replica.serverCursor()
            if start == nil, try replica.holdsOnlyOwnVersions() { start = .start }
            cursor = start
            lastPush = []
            sentCursor = start
            return SyncRequest(replica: replica.id, vector: try replica.requestVector(ownOnly: start != nil), cursor: start, versions: [], pageLimit: pullPageSize)
        }
        let (vector, push) = try replica.outgoing(serverVector: confirmed ?? VersionVector(), limit: pushPageSize, ownOnly: cursor != nil, budget: pushBudget)
        guard !push.isEmpty || pullMore else { return nil }
        lastPush = push
        sentCursor = cursor
        return SyncRequest(replica: replica.id, vector: vector, cursor: cursor, versions: push, pageLimit: pullPageSize)
    }

    /// After the server refused the last request's push for its size (413), halves the push
    /// page, so that the next request carries fewer versions. Rethrows any other error, and
    /// throws ``SyncError/pushRefused(_:)`` when a single version was refused.
    mutating func shrinkPush(after error: any Error) throws {
        guard case SyncError.server(status: 413, let code, let message) = error,
              code == "body_too_large" || code == "too_many_versions", !lastPush.isEmpty else { throw error }
        guard lastPush.count > 1 else { throw SyncError.pushRefused(message) }
        pushPageSize = lastPush.count / 2
    }

    /// Applies the server's answer to the last request.
    public mutating func receive(_ response: SyncResponse) throws {
        try apply(try accept(response, prepared: replica.store.prepare(response.versions)))
    }

    /// An answer that passed every check, with its versions not yet applied.
    struct AcceptedPage {
        var versions: PreparedVersions
        var serverVector: VersionVector
        var cursor: CursorChange
    }

    /// Checks the server's answer and moves the session past it; the page's versions (and the
    /// cursor that covers them) are stored by ``apply(_:)``.
    mutating func accept(_ response: SyncResponse, prepared: PreparedVersions) throws -> AcceptedPage {
        guard response.protocolVersion == WireProtocol.version else {
            throw SyncError.protocolMismatch(response.protocolVersion)
        }
        // The server did not recognise our cursor (its database was replaced or restored).
        let refused = sentCursor != nil && response.cursor == nil
        if response.more && response.versions.isEmpty && lastPush.isEmpty && serverVector != nil && !refused {
            throw SyncError.noProgress
        }
        // Only this file writes our replica ids: a server holding more of them than we do, or
        // sending us any, holds writes this file does not have.
        let local = try replica.store.versionVector(of: own)
        for id in own where response.vector[id] > local[id] || response.versions.contains(where: { $0.dot.replica == id }) {
            throw SyncError.replicaForked(id, local: local[id], server: response.vector[id])
        }
        var acknowledged = confirmed ?? VersionVector()
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
        serverVector = response.vector
        pullMore = response.more || refused
        return AcceptedPage(versions: prepared, serverVector: remembered, cursor: change)
    }

    /// Stores an accepted page's versions, the server's counters and the cursor, in one
    /// transaction; `deferFields` as in ``Replica/receive(_:serverVector:cursor:deferFields:)``.
    mutating func apply(_ page: AcceptedPage, deferFields: Bool = false) throws {
        count(try replica.receive(page.versions, serverVector: page.serverVector, cursor: page.cursor, deferFields: deferFields))
    }

    private mutating func count(_ report: ApplyReport) {
        stats.received += report.new
        stats.cleanMerges += report.cleanMerges
        // A conflict a later page closes is no longer new.
        stats.newConflicts.removeAll(where: report.closedConflicts.contains)
        stats.newConflicts += report.newConflicts
    }

    /// Runs the whole session over `transport`, calling `progress` after every page.
    ///
    /// A fresh replica's pages are stored without deriving field states, which are derived
    /// once after the last page (see ``Replica/receive(_:serverVector:cursor:deferFields:)``).
    ///
    /// While pulling by cursor the next request depends only on the cursor and this replica's
    /// own writes, not on the page just received, so it is sent before that page is applied:
    /// the server reads the next page while this one is written. A vector-mode pull waits, as
    /// its next request carries the vector the page extends.
    public mutating func run(over transport: some SyncTransport, progress: (SyncStats) -> Void = { _ in }) async throws {
        let store = replica.store
        // Sends a request, then checks and encodes the answer's versions, off the writer's thread.
        func start(_ request: SyncRequest) -> Task<(SyncResponse, PreparedVersions), any Error> {
            Task {
                let response = try await transport.send(request)
                return (response, try store.prepare(response.versions))
            }
        }
        guard let first = try nextRequest() else { return }
        var inFlight = start(first)
        defer { inFlight.cancel() }
        while true {
            let response: SyncResponse, prepared: PreparedVersions
            do {
                (response, prepared) = try await inFlight.value
            } catch {
                try shrinkPush(after: error)
                // The refused request changed nothing on the server: ask again, pushing less.
                guard let retry = try nextRequest() else { return }
                inFlight = start(retry)
                continue
            }
            let page = try accept(response, prepared: prepared)
            var next: SyncRequest?
            if readsFeed {
                next = try nextRequest()
                if let next { inFlight = start(next) }
                try apply(page, deferFields: true)
            } else {
                try apply(page, deferFields: true)
                next = try nextRequest()
                if let next { inFlight = start(next) }
            }
            if next == nil, try replica.hasUnderivedFields() {
                stats.derivingFields = true
                progress(stats)
                count(try replica.settleFields())
                stats.derivingFields = false
            }
            progress(stats)
            if next == nil { return }
        }
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

    public init() {}
}

/// Carries one request to the server and brings back its answer.
public protocol SyncTransport: Sendable {
    func send(_ request: SyncRequest) async throws -> SyncResponse
}
