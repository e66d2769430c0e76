public import Foundation
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
    public var access: AccessUpdate?
    public var compartments: [Placement] = []
    public var backfilled: UInt64?
    public var shallow: ShallowAnswer?
}

/// Why the server refused an exchange as not the requester's to make (403); nothing was stored.
public enum ExchangeRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case replicaOwnedByOther(replica: ReplicaID, owner: String)
    case authorMismatch(dot: Dot, author: String, analyst: String)
    /// A carried range's signature does not verify with its replica's bound key.
    case badSignature(range: String)
    /// Versions are carried for a replica whose signing key the server does not know.
    case unknownKey(replica: ReplicaID)
    /// The requester sent a signing key other than the one bound to it.
    case keyMismatch(replica: ReplicaID)
    /// Another analyst's version came without a valid signature of its replica.
    case unsigned(dot: Dot)

    /// The protocol's stable code for the refusal, answered with 403.
    public var code: ServerErrorCode {
        switch self {
        case .replicaOwnedByOther: return .replicaNotYours
        case .authorMismatch: return .authorMismatch
        case .badSignature: return .badSignature
        case .unknownKey: return .unknownKey
        case .keyMismatch: return .keyMismatch
        case .unsigned: return .unsignedVersion
        }
    }

    public var description: String {
        switch self {
        case .replicaOwnedByOther(let replica, _):
            // The owner's name is for the server's log, not for the refused analyst.
            return "replica \(replica) belongs to another analyst; each analyst syncs only their own replicas (create yours with `sync-client init` and your own token)"
        case .authorMismatch(let dot, let author, let analyst):
            return "version \(dot) is signed by '\(author)' but the token belongs to '\(analyst)'; create the replica with this analyst's token"
        case .badSignature(let range):
            return "the signature over versions \(range) does not verify with that replica's key: they were altered on the way or signed by another replica. Nothing was stored; ask their author for a new bundle."
        case .unknownKey(let replica):
            return "versions of replica \(replica) are carried for its author, but that replica has never synced with this server, so its signing key is unknown. Its author must sync once (from any network) before others can carry its versions."
        case .keyMismatch(let replica):
            return "replica \(replica) is bound to another signing key on this server: the replica file was copied or its key replaced. Run `sync-client rekey` to continue under a fresh replica id and key."
        case .unsigned(let dot):
            return "version \(dot) belongs to another analyst's replica and carries no valid signature of it; another analyst's versions are accepted only as their author signed them (in a bundle)"
        }
    }
}

/// The server half of the protocol, the same over every storage.
extension ServerStorage {
    /// One sync request, in one transaction: checks that every pushed version's replica belongs
    /// to `analyst` (binding new replicas to them) and is written under their name, or else is
    /// carried for another analyst inside a range of `signatures` that its replica's bound key
    /// signed (see ``judge(analyst:requester:requesterKey:authors:claims:owners:)``); binds
    /// `publicKey` to the requester at its first request with one; stores the versions,
    /// and answers with a page of what the client lacks (at most `pageLimit` versions, and no
    /// more than `pageBytes` or ``PageBudget/syncBytes``, see ``PageBudget/answering(_:)``). All or nothing.
    ///
    /// With a `cursor` the page is the feed after it, leaving out the replicas of `clientVector`
    /// (then only the client's own); a cursor this feed does not honour gets an empty page, no
    /// cursor and `more`, so the client re-sends its whole vector. Without one the page is what
    /// `clientVector` does not cover, and the last page carries the feed's head as the cursor.
    /// The answer's vector holds the server's counters for `clientVector`'s replicas and the
    /// requester, not every replica it knows.
    /// `requester`, the replica the request says it comes from, must not be another analyst's.
    /// `conflicts`, the requester's conflict report, is recorded in the same transaction (see
    /// ``ServerStorage/perform(_:ownership:)``), so a refused exchange records none of it.
    /// Throws the storage's check failures (400), ``ExchangeRefusal`` (403) and its own errors.
    public func exchange(
        analyst: String, requester: ReplicaID? = nil, clientVector: VersionVector, cursor: FeedCursor? = nil,
        versions: [Version], signatures: [SignedRange] = [], publicKey: Data? = nil, conflicts: ConflictReport = ConflictReport(),
        access: AccessCursor? = nil, homes: [Placement] = [], backfill: Backfill? = nil, withdrawn: [Dot] = [], shallow: ShallowRequest? = nil,
        pageLimit: Int, pageBytes: Int? = nil, at time: Int64
    ) async throws -> Exchange {
        // Structure first (400), before the transaction; then who may push what (403), inside it.
        if shallow != nil, !versions.isEmpty || !signatures.isEmpty || !withdrawn.isEmpty || !homes.isEmpty || backfill != nil {
            throw ShallowError.notAlone
        }
        let conflicts = try conflicts.checked()
        let checked = try check(versions)
        let claims = try RelayClaims(signatures, versions: versions)
        if let publicKey, !SignatureCheck.isValidPublicKey(publicKey) { throw RelayError.malformedKey(requester) }
        var counted = Set(clientVector.replicas)
        if let requester { counted.insert(requester) }
        let query: PageQuery.Start = shallow.map { .shallow($0) } ?? backfill.map { .backfill($0) } ?? cursor.map { .feed(after: $0, skipping: counted) } ?? .notCoveredBy(clientVector)
        var claimed = Self.claimed(requester: requester, versions)
        for replica in Set(withdrawn.map(\.replica)) where !claimed.contains(replica) { claimed.append(replica) }
        var work = ExchangeWork(analyst: analyst, claimed: claimed, versions: checked, counted: counted,
                                page: PageQuery(query, limit: pageLimit, budget: .answering(pageBytes)), time: time,
                                requesterKey: requester.flatMap { id in publicKey.map { (id, $0) } }, requester: requester)
        work.access = access
        work.homes = try Self.homes(homes, versions: versions)
        work.withdrawn = Set(withdrawn)
        let withdrawnReplicas = Set(withdrawn.map(\.replica))
        work.conflicts = conflicts
        let authors = versions.map { (dot: $0.dot, author: $0.author) }
        let stored = try await perform(work, ownership: { owners in
            try Self.judge(analyst: analyst, requester: requester, requesterKey: publicKey, authors: authors, claims: claims, owners: owners)
            // Only a replica's owner sets its writes aside.
            for replica in withdrawnReplicas where replica != requester {
                guard let owner = owners[replica]?.analyst, owner == analyst else {
                    throw ExchangeRefusal.replicaOwnedByOther(replica: replica, owner: owners[replica]?.analyst ?? "nobody")
                }
            }
        })
        var exchange = Exchange(vector: stored.vector, versions: [], more: true, cursor: nil, report: stored.report, access: stored.access)
        if let page = stored.page {
            (exchange.versions, exchange.more, exchange.cursor, exchange.compartments) = (page.versions, page.more, page.cursor, page.compartments)
            exchange.backfilled = page.backfilled
            exchange.shallow = page.shallow
        }
        let named = Set(exchange.compartments.map(\.record))
        exchange.compartments += stored.pushed.filter { !named.contains($0.record) }
        // Placements left for the next answer keep the client asking.
        if exchange.access?.more == true { exchange.more = true }
        return exchange
    }

    /// The pushed homes by record, each naming one compartment of a record the push writes.
    private static func homes(_ homes: [Placement], versions: [Version]) throws -> [RecordID: String] {
        guard !homes.isEmpty else { return [:] }
        let pushed = Set(versions.map(\.record))
        var result: [RecordID: String] = [:]
        for home in homes {
            guard let names = home.compartments, names.count == 1, pushed.contains(home.record), result[home.record] == nil else {
                throw HomeError(record: home.record)
            }
            result[home.record] = try Compartment.checkName(names[0])
        }
        return result
    }

    /// Stores versions carried to the server with no analyst's token (a bundle brought by a
    /// courier), in one transaction: every version must lie in a range signed by its replica's
    /// bound key and be written under that replica's analyst. The same transaction counts one
    /// applied bundle (``ExchangeWork/countsBundleApply``); a refused one is counted by the caller
    /// (``recordRefusedBundleApply(_:at:)``). Returns what was stored and the server's counters
    /// for the carried replicas.
    /// `homes` place the carried versions' new records, as their authors named them.
    public func storeCarried(_ versions: [Version], signatures: [SignedRange], homes: [Placement] = [], at time: Int64) async throws -> (report: ApplyReport, vector: VersionVector) {
        let checked = try check(versions)
        let claims = try RelayClaims(signatures, versions: versions)
        let replicas = Self.claimed(requester: nil, versions)
        var work = ExchangeWork(analyst: "", claimed: replicas, versions: checked, counted: Set(replicas),
                                page: PageQuery(.notCoveredBy(VersionVector()), limit: 1), time: time)
        work.countsBundleApply = true
        work.homes = try Self.homes(homes, versions: versions)
        let authors = versions.map { (dot: $0.dot, author: $0.author) }
        let stored = try await perform(work, ownership: { owners in
            try Self.judge(analyst: nil, requester: nil, requesterKey: nil, authors: authors, claims: claims, owners: owners)
        })
        return (stored.report, stored.vector)
    }

    /// The requester, then the versions' replicas in order of first appearance, each once.
    private static func claimed(requester: ReplicaID?, _ versions: [Version]) -> [ReplicaID] {
        var claimed: [ReplicaID] = []
        var seen: Set<ReplicaID> = []
        for replica in [requester].compactMap({ $0 }) + versions.map(\.dot.replica) where seen.insert(replica).inserted {
            claimed.append(replica)
        }
        return claimed
    }

    /// Who may push what. The requester must not be another analyst's, nor send a key other
    /// than its bound one. A version of the analyst's own replica (or of a new one) must be
    /// written under their name. Any other version, and with no analyst (`nil`, a carried
    /// bundle) every version, is accepted only inside a range signed by its replica's bound key
    /// and written under that replica's analyst; a signature that does not verify refuses
    /// everything. Checked in request order, so the first fault is the one reported.
    static func judge(
        analyst: String?, requester: ReplicaID?, requesterKey: Data?, authors: [(dot: Dot, author: String)],
        claims: RelayClaims, owners: [ReplicaID: ReplicaBinding]
    ) throws {
        if let requester, let bound = owners[requester] {
            if bound.analyst != analyst { throw ExchangeRefusal.replicaOwnedByOther(replica: requester, owner: bound.analyst) }
            if let requesterKey, let key = bound.publicKey, key != requesterKey { throw ExchangeRefusal.keyMismatch(replica: requester) }
        }
        let signed = try claims.verified(keys: { owners[$0]?.publicKey })
        let carried = Set(claims.claims.map(\.range.replica))
        for (dot, author) in authors {
            let binding = owners[dot.replica]
            if let analyst, !carried.contains(dot.replica) {
                // Pushed with no signature: only the analyst's own writes, in their own replicas.
                if author != analyst { throw ExchangeRefusal.authorMismatch(dot: dot, author: author, analyst: analyst) }
                if let binding, binding.analyst != analyst { throw ExchangeRefusal.replicaOwnedByOther(replica: dot.replica, owner: binding.analyst) }
                continue
            }
            if let analyst, binding == nil || binding?.analyst == analyst {
                // Signed, and the analyst's own replica (or a new one they bind by pushing it).
                guard author == analyst else {
                    throw binding == nil ? ExchangeRefusal.unknownKey(replica: dot.replica) : ExchangeRefusal.authorMismatch(dot: dot, author: author, analyst: analyst)
                }
                continue
            }
            // Carried for another analyst, or in a bundle: only as their replica signed it.
            guard let binding, binding.publicKey != nil else { throw ExchangeRefusal.unknownKey(replica: dot.replica) }
            guard signed.contains(dot) else { throw ExchangeRefusal.unsigned(dot: dot) }
            guard author == binding.analyst else { throw ExchangeRefusal.authorMismatch(dot: dot, author: author, analyst: binding.analyst) }
        }
    }

    /// Serves one sync request as `analyst`: the push is stored and the answer's page holds the
    /// request's page limit (`defaultPageSize` when it names none), never more than `maxPageSize`,
    /// within the request's byte budget.
    public func answer(
        _ request: SyncRequest, analyst: String, defaultPageSize: Int, maxPageSize: Int, at time: Int64
    ) async throws -> (response: SyncResponse, report: ApplyReport) {
        let exchange = try await exchange(
            analyst: analyst, requester: request.replica, clientVector: request.vector, cursor: request.cursor,
            versions: request.versions, signatures: request.signatures ?? [], publicKey: request.publicKey, conflicts: request.conflicts,
            access: request.access, homes: request.homes ?? [], backfill: request.backfill, withdrawn: request.withdrawn ?? [], shallow: request.shallow,
            pageLimit: min(max(request.pageLimit ?? defaultPageSize, 1), maxPageSize), pageBytes: request.pageBytes, at: time
        )
        let response = SyncResponse(vector: exchange.vector, versions: exchange.versions, more: exchange.more, cursor: exchange.cursor,
                                    access: exchange.access, compartments: request.access == nil ? nil : exchange.compartments,
                                    backfilled: exchange.backfilled, shallow: exchange.shallow)
        return (response, exchange.report)
    }
}
