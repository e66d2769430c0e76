import LocalStore
import SyncProtocol
import SyncModel

/// A shallow join and the history that follows it (see ``Replica/requestShallowJoin()``).
extension ReplicaSync {
    /// The most times one sync brings records' history for a page that needed it before it
    /// gives up (each time completes at least one record, so this only bounds a server that
    /// answers inconsistently).
    static let maxRecordHistories = 50

    /// Brings a shallow join's pages, if one is under way, each stored with where the join
    /// stands, so a cut join resumes at its next page. Returns the versions it stored (nil when
    /// no join was under way) and the requests it made.
    func shallowJoin(_ replica: Replica, over transport: some SyncTransport, pace: (@Sendable () -> Int?)? = nil) async throws -> (versions: Int?, requests: Int) {
        guard try replica.pendingShallowJoin() != nil else { return (nil, 0) }
        var stored = 0, requests = 0
        while let shallow = try replica.pendingShallowJoin() {
            requests += 1
            let request = SyncRequest(replica: replica.id, vector: VersionVector(), versions: [], pageLimit: pageSize,
                                      publicKey: try replica.signingKey().publicKey, access: try replica.accessCursor(), shallow: shallow, pageBytes: pace?())
            let response = try await transport.send(request)
            guard let answer = response.shallow else {
                throw SyncError.badResponse("the server answered a shallow join's page without saying where it stands; it may be older than this client (upgrade it, or join in full)")
            }
            let report = try replica.receiveShallow(try replica.check(response.versions), answer: answer, done: !response.more,
                                                    compartments: response.compartments ?? [], access: response.access)
            stored += report.new
        }
        return (stored, requests)
    }

    /// The most versions of history an ordinary sync brings (one page, after its own work): about
    /// 21 KB, three seconds at 64 kbit/s, so the history arrives without holding up the link.
    static let backgroundHistoryPage = 1000

    /// Brings up to `pages` pages of the history a shallow join left to follow, each stored with
    /// the position it reached; `.max` brings it all in pages of `pageSize`, fewer pages in
    /// pages of at most ``backgroundHistoryPage``. Returns the versions it stored and the requests it made.
    func history(_ replica: Replica, over transport: some SyncTransport, pages: Int, pace: (@Sendable () -> Int?)? = nil) async throws -> (versions: Int, requests: Int) {
        let limit = pages == .max ? pageSize : min(pageSize, Self.backgroundHistoryPage)
        return try await follow(replica, over: transport, pages: pages, limit: limit, pace: pace, pending: replica.pendingHistory) { versions, response, asked in
            try replica.receiveHistory(versions, compartments: response.compartments ?? [], reached: response.backfilled ?? asked.after,
                                       done: !response.more, access: response.access)
        }
    }

    /// Brings the whole history of `records` and stores it in one transaction; returns the requests it made.
    func recordHistory(_ records: [RecordID], _ replica: Replica, over transport: some SyncTransport, pace: (@Sendable () -> Int?)? = nil) async throws -> Int {
        var backfill = Backfill(compartments: [], records: records)
        var versions: [Version] = []
        var requests = 0
        while true {
            requests += 1
            // No access cursor: what changed in access is taken by the sync's own pages.
            let response = try await transport.send(try backfillRequest(replica, backfill, limit: pageSize, readingAccess: false, pace: pace))
            versions += response.versions
            guard response.more, let reached = response.backfilled, reached > backfill.after else { break }
            backfill.after = reached
        }
        _ = try replica.receiveRecordHistory(try replica.check(versions), records: records)
        return requests
    }
}
