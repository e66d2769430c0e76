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
    /// The budget of the next request (``SyncSession/pageBytes``), asked before the first and
    /// after every answer: the link's pace as measured so far. Nil: pages as large as the
    /// server and ``pushBudget`` allow.
    public var pace: (@Sendable () -> Int?)?
    /// The most conflict ids of each kind one request reports (see ``ConflictReport``).
    public var conflictReportLimit = ConflictReport.maxIDs
    /// Counts so far: after ``run(over:progress:)``, or as far as it got when it threw.
    public private(set) var stats = SyncStats()

    public init(replica: Replica, pushPageSize: Int = SyncSession.defaultPageSize, pullPageSize: Int = SyncSession.defaultPageSize) {
        self.replica = replica
        self.pushPageSize = pushPageSize
        self.pullPageSize = pullPageSize
    }

    /// Runs a whole session over `transport`, performing each ``SyncSession/Action`` the session
    /// returns, and calling `progress` after every page stored.
    ///
    /// A fresh replica's pages are stored without deriving field states, which are derived
    /// once after the last page (see ``SyncReplica/receive(_:serverVector:cursor:deferFields:)``).
    ///
    /// While pulling by cursor the next request depends only on the cursor and this replica's
    /// own writes, not on the page just received, so it is sent before that page is stored
    /// (``SyncSession/Action/sendThenStore(_:_:)``): the server reads the next page while this
    /// one is written, and each answer's versions are checked off the writer's thread. A
    /// vector-mode pull waits, as its next request carries the vector the page extends.
    ///
    /// Every request carries the replica's pending conflict report (``SyncReplica/pendingConflictReport(limit:)``),
    /// recorded as acknowledged once its answer arrives; a request that fails is re-read with
    /// what is still pending, so a cut request loses nothing. When the session is over and a
    /// report is still pending (its pages opened or resolved conflicts, or one request could not
    /// carry them all), one more request carries it (``SyncSession/reportConflicts()``), and
    /// so on while each round leaves another report.
    public mutating func run(over transport: some SyncTransport, progress: (SyncStats) -> Void = { _ in }) async throws {
        let reportLimit = conflictReportLimit
        // The first request's parts come with the start, in its read.
        let (begin, parts) = try replica.syncStart(conflictLimit: reportLimit)
        var firstParts: RequestParts? = parts
        var session = SyncSession(replica: replica.id, start: begin, pushPageSize: pushPageSize, pullPageSize: pullPageSize,
                                  pushBudget: pushBudget)
        // A push refused for its size leaves the next run with the page size that passed.
        defer { (stats, pushPageSize) = (session.stats, session.pushPageSize) }
        let replica = self.replica
        // The conflict report of the request in flight, acknowledged when its answer arrives.
        var reporting = ConflictReport()
        // Sends a request with the replica's pending conflict report (and, for a replica that
        // follows its access, the compartments and set-aside dots its push needs), then checks
        // the answer's versions, off the writer's thread.
        func start(_ request: SyncRequest) throws -> Task<(SyncResponse, Replica.Checked), any Error> {
            var request = request
            let parts: RequestParts
            if let first = firstParts, request.versions.isEmpty {
                parts = first
            } else {
                parts = try replica.requestParts(for: request.versions, conflictLimit: reportLimit, access: request.access != nil)
            }
            firstParts = nil
            reporting = parts.conflicts
            request.conflicts = reporting
            if reporting.opened.count >= reportLimit || reporting.resolved.count >= reportLimit { reportMayLag = true }
            if request.access != nil {
                (request.homes, request.withdrawn) = (parts.homes.isEmpty ? nil : parts.homes, parts.withdrawn.isEmpty ? nil : parts.withdrawn)
            }
            let sending = request
            return Task {
                let response = try await transport.send(sending)
                return (response, try replica.check(response.versions))
            }
        }
        // The report the last extra round carried: one that comes back unchanged ends the rounds.
        var lastRound: ConflictReport?
        // Whether the report may have more to say after the session: a request could not carry
        // it all, or pages, pushes or access changes may have opened or closed conflicts. A
        // session that moved nothing leaves nothing to report but what another process changed
        // meanwhile, which the next sync carries; it skips the read.
        var reportMayLag = false
        var inFlight: Task<(SyncResponse, Replica.Checked), any Error>?
        defer { inFlight?.cancel() }
        // The last answer's versions, checked, until they are stored.
        var page: Replica.Checked?
        func store(_ update: SyncSession.PageUpdate) throws -> ApplyReport {
            guard let checked = page else { throw SyncSession.OutOfOrder(event: "a page to store", state: "no answer had been taken") }
            page = nil
            if update.access != .none { reportMayLag = true }
            if !update.delivered.isEmpty { try replica.noteDelivered(update.delivered) }
            return try replica.receive(checked, serverVector: update.serverVector, cursor: update.cursor, deferFields: true, access: update.access)
        }
        func readPush(_ query: SyncSession.PushQuery) throws -> SyncSession.Action {
            let (vector, push) = try replica.outgoing(acknowledged: query.acknowledged, limit: query.limit, ownOnly: query.ownOnly, budget: query.budget)
            return try session.pushRead(vector: vector, versions: push)
        }
        session.pageBytes = pace?()
        var action = try session.start()
        while true {
            switch action {
            case .send(let request):
                // No page waits to be stored beside it: its answer is next.
                inFlight = try start(request)
                action = .awaitAnswer
            case .sendThenStore(let request, let update):
                inFlight = try start(request)
                action = try session.stored(try store(update))
                progress(session.stats)
            case .store(let update):
                action = try session.stored(try store(update))
                progress(session.stats)
            case .readPush(let query):
                action = try readPush(query)
            case .readCarried(let query):
                action = try session.carriedRead(try replica.carried(limit: query.limit, budget: query.budget, excluding: query.excluding))
            case .setAside(let records, let query):
                try replica.setAside(records)
                action = try readPush(query)
            case .retry(let query, let refused):
                // A carried range the server will not take must not stop the sync.
                if let refused { try replica.noteRefused(refused.range, permanently: !refused.mayPassLater) }
                action = try readPush(query)
            case .awaitAnswer:
                guard let task = inFlight else { throw SyncSession.OutOfOrder(event: "a wait for an answer", state: "no request was in flight") }
                let response: SyncResponse
                do {
                    (response, page) = try await task.value
                } catch {
                    inFlight = nil
                    action = try session.failed(error)
                    continue
                }
                inFlight = nil
                // The server committed the report with the exchange it answered.
                try replica.noteConflictsReported(reporting)
                session.pageBytes = pace?()
                action = try session.received(response, ownCounters: try replica.counters(of: session.own))
            case .finished:
                if try replica.hasUnderivedFields() {
                    var deriving = session.stats
                    deriving.derivingFields = true
                    progress(deriving)
                    try session.fieldsSettled(try replica.settleFields())
                    reportMayLag = true
                    progress(session.stats)
                }
                guard reportMayLag || session.stats.sent > 0 || session.stats.received > 0 || lastRound != nil else { return }
                let pending = try replica.pendingConflictReport(limit: reportLimit)
                guard !pending.isEmpty, pending != lastRound else { return }
                lastRound = pending
                action = try session.reportConflicts()
            }
        }
    }
}
