public import SyncModel

/// What one sync exchange answers: the server's counters (after storing the pushed versions)
/// for the replicas the client named, and a page of versions the client lacks.
public struct Exchange: Sendable {
    public var vector: VersionVector
    public var versions: [Version]
    public var more: Bool
    /// The feed position the client has reached with this page; nil while a vector-mode pull
    /// has more to come, and nil when the client's cursor was refused.
    public var cursor: FeedCursor?
    public var report: ApplyReport
}

/// Why the server refused an exchange as not the requester's to make (403); nothing was stored.
public enum ExchangeRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case replicaOwnedByOther(replica: ReplicaID, owner: String)
    case authorMismatch(dot: Dot, author: String, analyst: String)

    public var description: String {
        switch self {
        case .replicaOwnedByOther(let replica, _):
            // The owner's name is for the server's log, not for the refused analyst.
            return "replica \(replica) belongs to another analyst; each analyst syncs only their own replicas (create yours with `sync-client init` and your own token)"
        case .authorMismatch(let dot, let author, let analyst):
            return "version \(dot) is signed by '\(author)' but the token belongs to '\(analyst)'; create the replica with this analyst's token"
        }
    }
}

/// The server half of the protocol, the same over every storage.
extension ServerStorage {
    /// One sync request, in one transaction: checks that every pushed version's replica belongs
    /// to `analyst` (binding new replicas to them) and is signed by them, stores the versions,
    /// and answers with a page of what the client lacks (at most `pageLimit` versions, and no
    /// more than ``PageBudget/syncBytes``). All or nothing.
    ///
    /// With a `cursor` the page is the feed after it, leaving out the replicas of `clientVector`
    /// (then only the client's own); a cursor this feed does not honour gets an empty page, no
    /// cursor and `more`, so the client re-sends its whole vector. Without one the page is what
    /// `clientVector` does not cover, and the last page carries the feed's head as the cursor.
    /// The answer's vector holds the server's counters for `clientVector`'s replicas and the
    /// requester, not every replica it knows.
    /// `requester`, the replica the request says it comes from, must not be another analyst's.
    /// Throws the storage's check failures (400), ``ExchangeRefusal`` (403) and its own errors.
    public func exchange(
        analyst: String, requester: ReplicaID? = nil, clientVector: VersionVector, cursor: FeedCursor? = nil,
        versions: [Version], pageLimit: Int, at time: Int64,
        beforeCommit: @escaping @Sendable () -> Void = {}
    ) async throws -> Exchange {
        // Structure first (400), before the transaction; then who may push what (403), inside it.
        let checked = try check(versions)
        var claimed: [ReplicaID] = []
        var seen: Set<ReplicaID> = []
        for replica in [requester].compactMap({ $0 }) + versions.map(\.dot.replica) where seen.insert(replica).inserted {
            claimed.append(replica)
        }
        var counted = Set(clientVector.replicas)
        if let requester { counted.insert(requester) }
        let query: PageQuery.Start = cursor.map { .feed(after: $0, skipping: counted) } ?? .notCoveredBy(clientVector)
        let work = ExchangeWork(analyst: analyst, claimed: claimed, versions: checked, counted: counted,
                                page: PageQuery(query, limit: pageLimit), time: time)
        let authors = versions.map { (dot: $0.dot, author: $0.author) }
        let stored = try await perform(work, ownership: { owners in
            try Self.checkOwnership(analyst: analyst, requester: requester, authors: authors, owners: owners)
        }, beforeCommit: beforeCommit)
        var exchange = Exchange(vector: stored.vector, versions: [], more: true, cursor: nil, report: stored.report)
        if let page = stored.page {
            (exchange.versions, exchange.more, exchange.cursor) = (page.versions, page.more, page.cursor)
        }
        return exchange
    }

    /// The requester must not be another analyst's; each pushed version must be signed by
    /// `analyst` and its replica unbound or theirs. Checked in request order, so the first
    /// fault is the one reported.
    static func checkOwnership(
        analyst: String, requester: ReplicaID?, authors: [(dot: Dot, author: String)], owners: [ReplicaID: String]
    ) throws {
        if let requester, let bound = owners[requester], bound != analyst {
            throw ExchangeRefusal.replicaOwnedByOther(replica: requester, owner: bound)
        }
        var checked: Set<ReplicaID> = []
        for (dot, author) in authors {
            if author != analyst { throw ExchangeRefusal.authorMismatch(dot: dot, author: author, analyst: analyst) }
            guard checked.insert(dot.replica).inserted else { continue }
            if let owner = owners[dot.replica], owner != analyst {
                throw ExchangeRefusal.replicaOwnedByOther(replica: dot.replica, owner: owner)
            }
        }
    }

    /// Serves one sync request as `analyst`: the push is stored and the answer's page holds the
    /// request's page limit (`defaultPageSize` when it names none), never more than `maxPageSize`.
    public func answer(
        _ request: SyncRequest, analyst: String, defaultPageSize: Int, maxPageSize: Int, at time: Int64,
        beforeCommit: @escaping @Sendable () -> Void = {}
    ) async throws -> (response: SyncResponse, report: ApplyReport) {
        let exchange = try await exchange(
            analyst: analyst, requester: request.replica, clientVector: request.vector, cursor: request.cursor,
            versions: request.versions, pageLimit: min(max(request.pageLimit ?? defaultPageSize, 1), maxPageSize), at: time,
            beforeCommit: beforeCommit
        )
        let response = SyncResponse(vector: exchange.vector, versions: exchange.versions, more: exchange.more, cursor: exchange.cursor)
        return (response, exchange.report)
    }
}
