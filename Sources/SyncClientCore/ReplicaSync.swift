package import LocalStore
package import SyncProtocol
package import SyncHTTP
package import SyncModel

/// One sync of a replica with its server, as `sync-client sync` and the web dashboard's Sync
/// button both run it: over HTTP with retries when the link drops, reporting the cells given
/// one number on two replicas as conflicts, explaining a forged bundle's versions, and learning
/// the keys the server vouches for while there is a network.
package struct ReplicaSync: Sendable {
    /// Seconds to wait for a connection before giving up, so an offline sync fails fast.
    package var connectTimeout: Int64
    /// Versions per request, each way (``SyncSession/pageSizes``).
    package var pageSize: Int
    /// Times a request is sent again when the link drops after the server has answered once.
    package var retries: Int

    /// History pages (``ReplicaSync+Shallow``) a sync brings after its own work, of a replica
    /// that joined shallow: `.max` brings it all (`sync --history`).
    package var historyPages: Int

    package init(connectTimeout: Int64 = 5, pageSize: Int = SyncSession.defaultPageSize, retries: Int = 3, historyPages: Int = 1) {
        self.connectTimeout = connectTimeout
        self.pageSize = pageSize
        self.retries = retries
        self.historyPages = historyPages
    }

    /// Syncs `replica` with the server `settings` name, calling `progress` after each page and
    /// before each retry; then fetches the server's bundle key and the replica keys it vouches
    /// for, where this file lacks them.
    /// - Throws: ``SyncError`` (not configured, unreachable, refused), a ``ClientError`` when a
    ///   version that came by bundle was forged, or the replica's own errors. Local writes stay
    ///   queued whatever fails.
    package func run(
        replica: Replica, settings: EffectiveSettings, progress: @escaping @Sendable (SyncProgress) -> Void = { _ in }
    ) async throws -> SyncOutcome {
        try Self.check(settings)
        return try await HTTPTransport.withTransport(
            server: settings.server, token: settings.token, connectTimeoutSeconds: connectTimeout, caFile: settings.caFile
        ) { http in
            try await run(replica: replica, server: settings.server, over: http, progress: progress)
        }
    }

    /// ``run(replica:settings:progress:)`` on a client the caller keeps open (a watch syncs
    /// again and again on one).
    package func run(
        replica: Replica, server: String, over http: HTTPTransport, progress: @escaping @Sendable (SyncProgress) -> Void = { _ in }
    ) async throws -> SyncOutcome {
        var http = http
        // The pace starts from the link the last sync measured and follows this one's requests.
        let meter = TransferMeter(known: try replica.linkSpeed().map { ($0.bytesPerSecond, $0.roundTrip) })
        http.meter = meter
        let transport = RetryingTransport(http, delays: RetryingTransport<HTTPTransport>.backoff(retries: retries),
                                          onRetry: { progress(.retrying($0)) })
        var outcome = try await run(replica: replica, server: server, over: transport, pace: { meter.pace.budget }, progress: progress)
        (outcome.bytesSent, outcome.bytesReceived) = (meter.sent, meter.received)
        (outcome.uncompressedBytes, outcome.largestRequestBytes) = (meter.uncompressed, meter.largestRequest)
        // What `sync --dry-run` turns bytes into time with, and the next sync's pace starts from:
        // the pace's rate (requests too small to time the link keep the rate last measured), and
        // the shortest request too small to time as the round trip (else the shortest of all).
        let pace = meter.pace
        if let rate = pace.bytesPerSecond, let shortest = pace.samples.map(\.seconds).min() {
            try replica.noteLinkSpeed(LinkSpeed(bytesPerSecond: rate, roundTrip: pace.measuredRoundTrip ?? shortest, measured: WallClock.now()))
        }
        // Whose bundles are genuine, learnt while there is a network, on the same connection.
        await Self.learnKeys(replica, over: http)
        return outcome
    }

    /// What a sync of `replica` would move (see ``SyncEstimate``): nothing is sent but the
    /// question, and nothing stored on either side.
    /// - Throws: as ``run(replica:settings:progress:)`` does before its first page.
    package func estimate(replica: Replica, settings: EffectiveSettings) async throws -> SyncEstimate {
        try Self.check(settings)
        return try await HTTPTransport.withTransport(
            server: settings.server, token: settings.token, connectTimeoutSeconds: connectTimeout, caFile: settings.caFile
        ) { http in
            try await SyncEstimate.make(replica: replica, server: settings.server, over: http, pageSize: pageSize)
        }
    }

    /// Refuses settings no sync can use: no server or token, or an address that is not one.
    static func check(_ settings: EffectiveSettings) throws {
        guard !settings.server.isEmpty else { throw SyncError.notConfigured("no server URL is saved") }
        guard !settings.token.isEmpty else { throw SyncError.notConfigured("no token is saved") }
        // --server and $SYNC_SERVER are checked here, as a saved address was when it was saved.
        try ServerAddress.check(settings.server)
    }

    /// Syncs `replica` over `transport` (the server named `server`): what ``run(replica:settings:progress:)``
    /// does after connecting, and what tests run in one process. `pace` sizes each request
    /// (``SyncDriver/pace``); without one, pages are as large as `pageSize` and the server allow.
    package func run(replica: Replica, server: String, over transport: some SyncTransport, pace: (@Sendable () -> Int?)? = nil,
                    progress: (SyncProgress) -> Void = { _ in }) async throws -> SyncOutcome {
        // A file made before replicas had keys gets one now; the server binds it at this sync.
        try replica.signingKey()
        // Records removed at an earlier sync leave no text behind, even if its scrub was cut.
        try replica.scrubIfPending()
        // Cells given one number on two replicas meet here; the sync reports them as conflicts too.
        let sharedBefore = Set(try replica.store.numberConflicts().map(\.id))
        let removalsBefore = try replica.removals().last?.id ?? 0
        let joined = try await shallowJoin(replica, over: transport, pace: pace)
        var earlier = SyncStats()
        var completed = 0, extraRequests = joined.requests
        while true {
            var driver = SyncDriver(replica: replica, pushPageSize: pageSize, pullPageSize: pageSize)
            driver.pace = pace
            do {
                try await driver.run(over: transport) { progress(.page($0)) }
                earlier.add(driver.stats)
                break
            } catch let needed as RecordHistoryNeeded where completed < Self.maxRecordHistories {
                // A page merged records whose history a shallow join has not brought: bring it,
                // then take the page again (it was not kept); what the session did before it stays counted.
                completed += 1
                earlier.add(driver.stats)
                extraRequests += try await recordHistory(needed.records, replica, over: transport, pace: pace)
            } catch {
                if let forged = try Self.forgedBundle(error, replica: replica) { throw forged }
                throw error
            }
        }
        let backfilled = try await backfill(replica, over: transport, pace: pace)
        // The join's own sync ends as soon as the state is here, unless asked for the history too.
        let history = try await history(replica, over: transport, pages: joined.versions != nil && historyPages != .max ? 0 : historyPages, pace: pace)
        try replica.noteSync(server: server, at: WallClock.now())
        let shared = try replica.store.numberConflicts().map(\.id).filter { !sharedBefore.contains($0) }
        var outcome = SyncOutcome(server: server, stats: earlier, newConflicts: earlier.newConflicts + shared,
                                  removed: try replica.removals().filter { $0.id > removalsBefore }, backfilled: backfilled.versions)
        (outcome.shallow, outcome.history, outcome.historyPending) = (joined.versions, history.versions, try replica.pendingHistory() != nil)
        // Every request counts: the join's, the backfill's, the history's and those of records' histories.
        outcome.stats.requests += extraRequests + backfilled.requests + history.requests
        return outcome
    }

    /// Brings the history of records the analyst was newly cleared for (a grant, or a record
    /// moved in), older than the feed cursor, page by page; each page is stored with the
    /// position it reached, so a cut backfill resumes there. Returns the versions it stored and
    /// the requests it made.
    func backfill(_ replica: Replica, over transport: some SyncTransport, pace: (@Sendable () -> Int?)?) async throws -> (versions: Int, requests: Int) {
        try await follow(replica, over: transport, pages: .max, limit: pageSize, pace: pace, pending: replica.pendingBackfill) { versions, response, asked in
            try replica.receiveBackfill(versions, compartments: response.compartments ?? [], reached: response.backfilled ?? asked.after,
                                        done: !response.more, access: response.access)
        }
    }

    /// Brings up to `pages` pages of `limit` versions of the backfill `pending` reads, each stored
    /// by `receive` (given the page, the answer and the backfill asked for), until none is
    /// pending. Returns the versions stored and the requests made.
    func follow(
        _ replica: Replica, over transport: some SyncTransport, pages: Int, limit: Int, pace: (@Sendable () -> Int?)?,
        pending: () throws -> Backfill?, receive: (PreparedVersions, SyncResponse, Backfill) throws -> ApplyReport
    ) async throws -> (versions: Int, requests: Int) {
        var stored = 0, requests = 0
        while requests < pages, let backfill = try pending() {
            requests += 1
            let response = try await transport.send(try backfillRequest(replica, backfill, limit: limit, readingAccess: true, pace: pace))
            stored += try receive(try replica.check(response.versions), response, backfill).new
        }
        return (stored, requests)
    }

    /// A request that sends nothing and reads a page of `backfill`, with the replica's own
    /// counters and feed cursor, following access when `readingAccess`.
    func backfillRequest(_ replica: Replica, _ backfill: Backfill, limit: Int, readingAccess: Bool, pace: (@Sendable () -> Int?)?) throws -> SyncRequest {
        SyncRequest(replica: replica.id, vector: try replica.counters(of: try replica.ownReplicas()), cursor: try replica.serverCursor(), versions: [],
                    pageLimit: limit, access: readingAccess ? try replica.accessCursor() : nil, backfill: backfill, pageBytes: pace?())
    }

    /// Asks the server `settings` name to move a cell to another compartment (the analyst must be
    /// cleared to write both); replicas take the move in at their next sync.
    package static func move(_ record: RecordID, to compartment: String, settings: EffectiveSettings) async throws {
        guard !settings.server.isEmpty, !settings.token.isEmpty else {
            throw SyncError.notConfigured("moving a cell needs the server; save its URL and your token with `sync-client config set`")
        }
        try ServerAddress.check(settings.server)
        try await HTTPTransport.withTransport(server: settings.server, token: settings.token, caFile: settings.caFile) { http in
            try await http.move(MoveRequest(record: record, compartment: compartment))
        }
    }

    /// The error to show when the server holds, with other content, a version that came to this
    /// file in a bundle: the bundle was forged (or its author's file copied), and this file cannot
    /// take the genuine version. Nil for any other error.
    package static func forgedBundle(_ error: any Error, replica: Replica) throws -> ClientError? {
        guard case VersionRefusal.dotReused(let dot) = error, let author = try replica.bundleThatBrought(dot) else { return nil }
        return ClientError("version \(dot) of \(author)'s replica came here in a bundle, and the server holds that version with other content: the bundle was forged (or that replica's file was copied). This file cannot take the genuine version; keep it for inspection, make a new replica with `sync-client init`, and sync that")
    }

    /// Fetches what `replica` learns from the server at `server` besides versions, with short
    /// timeouts, as `init` does where there is a network; a failure leaves it for the next sync.
    package static func learnKeys(_ replica: Replica, server: String, token: String, caFile: String) async {
        _ = try? await HTTPTransport.withTransport(server: server, token: token, connectTimeoutSeconds: 2, caFile: caFile, timeoutSeconds: 10) { http in
            await learnKeys(replica, over: http)
        }
    }

    /// Fetches and keeps what a replica learns from the server besides versions: its key for
    /// sealed bundles when none is saved, and the signing keys of the replicas this file holds
    /// versions of that the server has not vouched for here. Failures leave them for next time.
    static func learnKeys(_ replica: Replica, over http: HTTPTransport) async {
        if (try? replica.serverBundleKey()) == nil, let answer = try? await http.bundleKey() {
            try? replica.saveServerBundleKey(answer.publicKey)
        }
        if (try? replica.replicasWithoutVouchedKey())?.isEmpty == false, let answer = try? await http.replicaKeys() {
            try? replica.noteVouchedKeys(answer.replicas)
        }
    }
}
