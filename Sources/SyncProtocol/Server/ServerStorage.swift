public import Foundation
public import SyncModel

/// The storage a sync server keeps: analysts, the replicas bound to each, and every version in
/// the order it arrived (its feed, see ``FeedCursor``).
///
/// The server's policy (who may push what, which page answers a request) is written once, over
/// this protocol, in ``ServerStorage/exchange(analyst:requester:clientVector:cursor:versions:signatures:publicKey:pageLimit:at:)``.
/// An implementation only stores and reads: it checks versions' structure, and runs each
/// exchange's ``ExchangeWork`` in one transaction that either commits whole or changes nothing,
/// sorting the push by the rule every store shares (``PushSort``). Every implementation keeps
/// the same things: versions with their records' kinds, the feed, analysts, bindings and keys,
/// and what operators count (conflicts as replicas report them, bundle applies); none keeps
/// field states (replicas merge). A synchronous implementation of a requirement satisfies it.
public protocol ServerStorage: Sendable {
    /// Pushed versions that passed every structural check, ready to store.
    associatedtype Checked: Sendable

    /// Checks every version against the model's rules before any transaction, so that
    /// concurrent requests check theirs in parallel. Throws the first version's fault; the
    /// server answers it with 400.
    func check(_ versions: [Version]) throws -> Checked

    /// Does `work` in one transaction: reads the bindings of `work.claimed`, asks `ownership`
    /// (which throws to refuse the whole exchange), binds the unbound claimed replicas to
    /// `work.analyst`, gives the requester's binding `work.requesterKey` if it has no key yet,
    /// stores the push as ``PushSort`` sorts it (new versions appended to the feed, held ones
    /// compared with what is stored), then reads the counters and the page the work asks for,
    /// and records for ``ExchangeWork/requester`` the time and the page's cursor (see
    /// ``ReplicaActivity``; that record may be written after the transaction). In the same
    /// transaction it records ``ExchangeWork/conflicts`` (see ``ConflictCounts``: an id first
    /// reported opened or resolved is counted opened once; a resolved one is closed for good)
    /// and, with ``ExchangeWork/countsBundleApply``, counts one applied bundle.
    func perform(
        _ work: ExchangeWork<Checked>, ownership: @escaping @Sendable ([ReplicaID: ReplicaBinding]) throws -> Void
    ) async throws -> StoredExchange

    /// Registers an analyst by the SHA-256 hex of their token (the token itself is never
    /// stored). Throws ``AnalystError/exists(_:)`` for a name already taken.
    func addAnalyst(name: String, tokenHash: String, at time: Int64) async throws
    /// The active (not revoked) analyst named `name`, with the stored hash of their token.
    func activeAnalyst(named name: String) async throws -> (analyst: Analyst, tokenHash: String)?
    /// Every analyst, by name.
    func analysts() async throws -> [Analyst]
    /// Gives an analyst, active or revoked, a new token by its hash; returns whether they are revoked.
    func replaceToken(name: String, tokenHash: String) async throws -> Bool
    /// Lets a revoked analyst sync again; returns false when they were not revoked.
    func reinstate(name: String) async throws -> Bool
    /// Revokes an analyst's token; their replicas stay theirs.
    func revoke(name: String, at time: Int64) async throws
    /// The analyst and signing key each replica is bound to.
    func replicaBindings() async throws -> [ReplicaID: ReplicaBinding]
    /// Every bound replica with its last exchange's time and the feed position its answer
    /// reached (recorded by ``perform(_:ownership:)`` for ``ExchangeWork/requester``), ordered
    /// by analyst, then replica.
    func replicaActivity() async throws -> [ReplicaActivity]
    /// The position after the last version stored (``FeedCursor/start`` when there is none).
    func feedHead() async throws -> FeedCursor
    /// The feed's head, the sum of analysts' access versions and the placement log's head, read
    /// in one cheap query: a server polls it to wake waits on commits other processes made.
    func changeStamp() async throws -> ChangeStamp

    /// Conflicts as replicas reported them (recorded by ``perform(_:ownership:)``), read
    /// without scanning every conflict ever reported: operators' figures, never the server's
    /// own decisions (it merges nothing).
    func conflictCounts() async throws -> ConflictCounts
    /// Counts a `bundle apply` refused with `reason`; an applied one is counted by the
    /// transaction that stored it (``storeCarried(_:signatures:homes:at:)``).
    func recordRefusedBundleApply(_ reason: BundleApplyResult.Reason, at time: Int64) async throws
    /// How many bundle applies ended with each result, as counted so far (results never
    /// counted are absent).
    func bundleApplies() async throws -> [BundleApplyResult: Int]

    /// The server's key for sealed bundles, made and kept the first time it is asked for; every
    /// instance on one database gets the same one. Never written to logs or dumps.
    func bundleKey() async throws -> BundleKey

    /// Makes a compartment. Throws ``CompartmentError`` for a bad or taken name.
    func addCompartment(_ name: String, at time: Int64) async throws
    /// Every compartment with how many records it holds, by name.
    func compartments() async throws -> [(name: String, records: Int)]
    /// Clears `analyst` for `compartment` (to read, or to read and write), replacing a clearance
    /// they had for it.
    func grant(analyst: String, compartment: String, write: Bool) async throws
    /// Removes `analyst`'s clearance for `compartment`; returns false when they had none.
    func revokeClearance(analyst: String, compartment: String) async throws -> Bool
    /// Every clearance, or `analyst`'s only, by analyst then compartment.
    func clearances(analyst: String?) async throws -> [ClearanceEntry]
    /// Sets the compartment `analyst`'s new records go to when a push names none.
    func setHome(analyst: String, compartment: String) async throws
    /// Moves the cell `record` to `compartment`; with an analyst, only if they may write both
    /// compartments. Signals naming the cell gain the new compartment.
    func move(record: RecordID, to compartment: String, by analyst: String?, at time: Int64) async throws
}

extension ServerStorage {
    /// The analyst each replica is bound to.
    public func owners() async throws -> [ReplicaID: String] {
        try await replicaBindings().mapValues(\.analyst)
    }
}

/// The storage side of one exchange, decided by the server's policy.
public struct ExchangeWork<Checked: Sendable>: Sendable {
    /// The analyst whose token made the request.
    public var analyst: String
    /// The replicas the request acts for, each once: the requester, then the pushed versions'
    /// replicas in order of first appearance. Each must be unbound or bound to `analyst`.
    public var claimed: [ReplicaID]
    public var versions: Checked
    /// The replicas whose counters the answer carries.
    public var counted: Set<ReplicaID>
    public var page: PageQuery
    /// Milliseconds since 1970, recorded on new bindings.
    public var time: Int64
    /// The requester (the first claimed replica) and its public signing key, bound with it.
    public var requesterKey: (replica: ReplicaID, key: Data)?
    /// The replica the request comes from, whose activity is recorded; nil for work no replica
    /// asked for (a courier's bundle, a migration).
    public var requester: ReplicaID?
    /// The client's access cursor, when it follows its access (see ``AccessUpdate``).
    public var access: AccessCursor?
    /// Compartments the push names for its new records.
    public var homes: [RecordID: String] = [:]
    /// Dots of the analyst's replicas set aside, never to be sent (see ``PushSort``).
    public var withdrawn: Set<Dot> = []
    /// The requester's conflict report, recorded by the same transaction.
    public var conflicts = ConflictReport()
    /// Whether the work is a `bundle apply`, counted as applied by the same transaction.
    public var countsBundleApply = false

    public init(
        analyst: String, claimed: [ReplicaID], versions: Checked, counted: Set<ReplicaID>, page: PageQuery, time: Int64,
        requesterKey: (replica: ReplicaID, key: Data)? = nil, requester: ReplicaID? = nil
    ) {
        self.analyst = analyst
        self.claimed = claimed
        self.versions = versions
        self.counted = counted
        self.page = page
        self.time = time
        self.requesterKey = requesterKey
        self.requester = requester
    }
}

/// Whom a replica is bound to on the server: the analyst whose token first synced it, and the
/// public signing key it sent (nil for a replica that has not sent one yet).
public struct ReplicaBinding: Sendable, Equatable {
    public var analyst: String
    public var publicKey: Data?

    public init(analyst: String, publicKey: Data? = nil) {
        self.analyst = analyst
        self.publicKey = publicKey
    }
}

/// Which versions an answer's page holds: at most `limit`, within `budget`.
public struct PageQuery: Sendable {
    public enum Start: Sendable {
        /// The feed after a cursor, leaving out the given replicas (the requester's own).
        case feed(after: FeedCursor, skipping: Set<ReplicaID>)
        /// Every version the vector does not cover, each replica's in counter order.
        case notCoveredBy(VersionVector)
        /// The history of records newly readable to the analyst, in feed order (see ``Backfill``).
        case backfill(Backfill)
        /// A page of the current state, record by record (see ``ShallowSnapshot``).
        case shallow(ShallowRequest)
    }

    public var start: Start
    public var limit: Int
    public var budget: PageBudget

    public init(_ start: Start, limit: Int, budget: PageBudget = .sync) {
        self.start = start
        self.limit = limit
        self.budget = budget
    }
}

/// A page of versions read from a server's storage.
public struct StoredPage: Sendable {
    public var versions: [Version]
    /// Whether versions were left out by the limit or the budget.
    public var more: Bool
    /// For a feed page, the position after every entry looked at (skipped ones included). For
    /// a page by vector that holds everything left (not `more`), the feed's head, read in the
    /// same transaction: where the client's pull continues by cursor. Otherwise nil.
    public var cursor: FeedCursor?
    /// The compartments of the page's records that are not in the default one alone.
    public var compartments: [Placement]
    /// For a backfill page, the feed position it reached.
    public var backfilled: UInt64?
    /// For a shallow page, where it stands.
    public var shallow: ShallowAnswer?

    public init(versions: [Version], more: Bool, cursor: FeedCursor?, compartments: [Placement] = [], backfilled: UInt64? = nil) {
        self.versions = versions
        self.more = more
        self.cursor = cursor
        self.compartments = compartments
        self.backfilled = backfilled
    }
}

/// What a storage's transaction did and read for one exchange.
public struct StoredExchange: Sendable {
    public var report: ApplyReport
    /// The counters of ``ExchangeWork/counted``, after storing the push.
    public var vector: VersionVector
    /// The page; nil when a feed query's cursor is not a position of this feed (another
    /// chain of dots up to its seq).
    public var page: StoredPage?
    /// What changed in the analyst's access since ``ExchangeWork/access``; nil when the work
    /// carried no cursor or nothing changed.
    public var access: AccessUpdate?
    /// Where the pushed records stand (those the analyst reads), once compartments exist: the
    /// pusher's own versions never come back to tell it.
    public var pushed: [Placement] = []

    public init(report: ApplyReport, vector: VersionVector, page: StoredPage?, access: AccessUpdate? = nil) {
        self.report = report
        self.vector = vector
        self.page = page
        self.access = access
    }
}

/// An error a ``ServerStorage`` throws, saying how the server answers it: the protocol's code
/// (its status comes with it, ``ServerErrorCode/status``); nil answers 500.
public protocol StorageError: Error, CustomStringConvertible {
    var code: ServerErrorCode? { get }
}
