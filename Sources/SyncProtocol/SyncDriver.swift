/// Carries one request to the server and brings back its answer.
public protocol SyncTransport: Sendable {
    func send(_ request: SyncRequest) async throws -> SyncResponse
}

/// Runs a ``SyncSession`` over a replica and a transport: the reads, writes and sends the
/// session asks for, and nothing else.
public struct SyncDriver<Replica: SyncReplica>: Sendable {
    public let replica: Replica
    /// Versions per push; halved by a run whose push the server refused for its size.
    public var pushPageSize: Int
    public var pullPageSize: Int
    /// Bounds each push by size as well as count.
    public var pushBudget = PageBudget.sync
    /// Counts so far: after ``run(over:progress:)``, or as far as it got when it threw.
    public private(set) var stats = SyncStats()

    public init(replica: Replica, pushPageSize: Int = SyncSession.defaultPageSize, pullPageSize: Int = SyncSession.defaultPageSize) {
        self.replica = replica
        self.pushPageSize = pushPageSize
        self.pullPageSize = pullPageSize
    }

    /// Runs a whole session over `transport`, calling `progress` after every page.
    ///
    /// A fresh replica's pages are stored without deriving field states, which are derived
    /// once after the last page (see ``SyncReplica/receive(_:serverVector:cursor:deferFields:)``).
    ///
    /// While pulling by cursor the next request depends only on the cursor and this replica's
    /// own writes, not on the page just received, so it is sent before that page is stored:
    /// the server reads the next page while this one is written. A vector-mode pull waits, as
    /// its next request carries the vector the page extends.
    public mutating func run(over transport: some SyncTransport, progress: (SyncStats) -> Void = { _ in }) async throws {
        var session = SyncSession(replica: replica.id, start: try replica.syncStart(), pushPageSize: pushPageSize, pullPageSize: pullPageSize)
        session.pushBudget = pushBudget
        // A push refused for its size leaves the next run with the page size that passed.
        defer { (stats, pushPageSize) = (session.stats, session.pushPageSize) }
        let replica = self.replica
        // Sends a request, then checks the answer's versions, off the writer's thread.
        func start(_ request: SyncRequest) -> Task<(SyncResponse, Replica.Checked), any Error> {
            Task {
                let response = try await transport.send(request)
                return (response, try replica.check(response.versions))
            }
        }
        func next(_ session: inout SyncSession) throws -> SyncRequest? {
            let query = session.pushQuery
            let (vector, push) = try replica.outgoing(acknowledged: query.acknowledged, limit: query.limit, ownOnly: query.ownOnly, budget: query.budget)
            // Its own versions first; then what it carries for others.
            let carried = push.isEmpty ? try replica.carried(limit: query.limit, budget: query.budget, excluding: session.carriedSent) : CarriedPage()
            return session.nextRequest(vector: vector, push: push, carried: carried)
        }
        var inFlight = start(session.firstRequest())
        defer { inFlight.cancel() }
        while true {
            let response: SyncResponse, checked: Replica.Checked
            do {
                (response, checked) = try await inFlight.value
            } catch {
                // A carried range the server will not take must not stop the sync.
                if let refused = try session.recover(from: error) {
                    try replica.noteRefused(refused.range, permanently: !refused.mayPassLater)
                }
                // The refused request changed nothing on the server: ask again, pushing less.
                guard let retry = try next(&session) else { return }
                inFlight = start(retry)
                continue
            }
            let update = try session.accept(response, ownCounters: try replica.counters(of: session.own))
            if !update.delivered.isEmpty { try replica.noteDelivered(update.delivered) }
            func store() throws {
                session.count(try replica.receive(checked, serverVector: update.serverVector, cursor: update.cursor, deferFields: true))
            }
            var request: SyncRequest?
            if session.readsFeed {
                request = try next(&session)
                if let request { inFlight = start(request) }
                try store()
            } else {
                try store()
                request = try next(&session)
                if let request { inFlight = start(request) }
            }
            if request == nil, try replica.hasUnderivedFields() {
                session.stats.derivingFields = true
                progress(session.stats)
                session.count(try replica.settleFields())
                session.stats.derivingFields = false
            }
            progress(session.stats)
            if request == nil { return }
        }
    }
}
