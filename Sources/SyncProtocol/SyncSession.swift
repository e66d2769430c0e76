public import LocalStore
public import SyncModel

/// The client side of a sync, as a state machine that performs no I/O.
///
/// ## Message flow
/// 1. The first request carries the replica's vector and no versions: the client does not yet
///    know what the server holds.
/// 2. Each answer carries the server's vector (after storing any pushed versions) and a page of
///    versions the client's vector does not cover; the client applies the page in one
///    transaction and remembers the server's vector.
/// 3. Each further request pushes a page of this replica's versions that the server's vector
///    does not cover, with the client's updated vector, so the answer continues the pull.
/// 4. The session ends when nothing is left to push and the server said no more is waiting.
///
/// ## Guarantees
/// Every request is idempotent: re-sending versions the server holds changes nothing, and pull
/// pages are chosen by the client's vector, not a cursor, so an interrupted sync resumes where
/// it stopped and no page can be skipped. Each replica's versions travel in counter order.
///
/// ## What resets state
/// Nothing persists between sessions except the replica's versions and the last server vector
/// (used only to show what is pending); a new session always starts with step 1.
public struct SyncSession: Sendable {
    public let replica: Replica
    public var pushPageSize: Int
    public var pullPageSize: Int
    public private(set) var stats = SyncStats()
    private var serverVector: VersionVector?
    private var pullMore = true
    private var lastPush: [Version] = []
    /// For this replica's own ids: the counters the server acknowledged receiving *from this
    /// file*. Pushes start there, not at the server's vector, so that a server holding other
    /// content under our dots (a restored or copied replica file) is told so by its dot check.
    private var confirmed: VersionVector?
    private var own: Set<ReplicaID> = []

    public init(replica: Replica, pushPageSize: Int = 2000, pullPageSize: Int = 2000) {
        self.replica = replica
        self.pushPageSize = pushPageSize
        self.pullPageSize = pullPageSize
    }

    /// The next request to send, or nil when the sync is complete.
    public mutating func nextRequest() throws -> SyncRequest? {
        if serverVector == nil {
            own = try replica.ownReplicas()
            confirmed = try replica.lastServerVector()
            lastPush = []
            return SyncRequest(replica: replica.id, vector: try replica.store.versionVector(), versions: [], pageLimit: pullPageSize)
        }
        let (vector, push) = try replica.outgoing(serverVector: confirmed ?? VersionVector(), limit: pushPageSize)
        guard !push.isEmpty || pullMore else { return nil }
        lastPush = push
        return SyncRequest(replica: replica.id, vector: vector, versions: push, pageLimit: pullPageSize)
    }

    /// Applies the server's answer to the last request.
    public mutating func receive(_ response: SyncResponse) throws {
        guard response.protocolVersion == WireProtocol.version else {
            throw SyncError.protocolMismatch(response.protocolVersion)
        }
        if response.more && response.versions.isEmpty && lastPush.isEmpty && serverVector != nil {
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
        confirmed = acknowledged
        var remembered = response.vector
        for id in own { remembered[id] = acknowledged[id] }
        let report = try replica.receive(response.versions, serverVector: remembered)
        stats.requests += 1
        stats.sent += lastPush.count
        stats.received += report.new
        stats.cleanMerges += report.cleanMerges
        // A conflict a later page closes is no longer new.
        stats.newConflicts.removeAll(where: report.closedConflicts.contains)
        stats.newConflicts += report.newConflicts
        serverVector = response.vector
        pullMore = response.more
    }

    /// Runs the whole session over `transport`, calling `progress` after every page.
    public mutating func run(over transport: some SyncTransport, progress: (SyncStats) -> Void = { _ in }) async throws {
        while let request = try nextRequest() {
            let response = try await transport.send(request)
            try receive(response)
            progress(stats)
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

    public init() {}
}

/// Carries one request to the server and brings back its answer.
public protocol SyncTransport: Sendable {
    func send(_ request: SyncRequest) async throws -> SyncResponse
}
