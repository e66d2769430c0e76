public import Foundation
public import SyncModel

/// The replica a sync runs over, as ``SyncDriver`` reaches it: one read to start, one read per
/// push page, and one transaction per page received. LocalStore's `Replica` is the real one;
/// the session's tests use one held in memory.
public protocol SyncReplica: Sendable {
    /// Received versions that passed every check, ready to store.
    associatedtype Checked: Sendable

    /// The id this replica writes under now.
    var id: ReplicaID { get }

    /// Where the replica stands, in one read.
    func syncStart() throws -> SyncStart

    /// ``syncStart()`` and the parts of a first request, which carries no versions (see
    /// ``requestParts(for:conflictLimit:access:)``), in one read.
    func syncStart(conflictLimit: Int) throws -> (start: SyncStart, parts: RequestParts)

    /// In one read: the replica's vector (only its own replicas' counters when `ownOnly`) and
    /// up to `limit` of its own versions that `acknowledged` does not cover, within `budget`,
    /// each replica's in counter order.
    func outgoing(acknowledged: VersionVector, limit: Int, ownOnly: Bool, budget: PageBudget) throws -> (vector: VersionVector, versions: [Version])

    /// The counters held for `replicas`.
    func counters(of replicas: Set<ReplicaID>) throws -> VersionVector

    /// Checks versions against the model's rules and readies them to store; safe on any thread,
    /// so the next page is checked while this one is stored.
    func check(_ versions: [Version]) throws -> Checked

    /// Stores a page, the server's counters for this replica's own ids, the feed cursor the
    /// page reaches and what the answer said of access, in one transaction: a cursor is never
    /// saved ahead of the versions it covers. With `deferFields`, a replica that held nothing
    /// may store the versions without deriving field states until ``settleFields()``.
    func receive(_ versions: Checked, serverVector: VersionVector, cursor: CursorChange, deferFields: Bool, access: ReceivedAccess) throws -> ApplyReport

    /// What a push of `versions` sends beside them: compartments named for records made here,
    /// and dots of this replica's writes set aside when a clearance went.
    func accessParts(for versions: [Version]) throws -> (homes: [Placement], withdrawn: [Dot])

    /// Sets aside this replica's unsent writes of `records`, which the server refused as outside
    /// the analyst's clearances, so that the rest can be pushed; nothing is lost.
    func setAside(_ records: [RecordID]) throws

    /// Whether stored versions wait for their field states (see ``receive(_:serverVector:cursor:deferFields:)``).
    func hasUnderivedFields() throws -> Bool

    /// Derives every field state still waiting.
    func settleFields() throws -> ApplyReport

    /// Other replicas' versions this replica carries for their authors (received with their
    /// signatures, not yet taken by the server), as whole signed ranges: at most `limit`
    /// versions within `budget` (always one range), leaving out `excluding`.
    func carried(limit: Int, budget: PageBudget, excluding: Set<SignedRange>) throws -> CarriedPage

    /// Records that the server took these carried ranges.
    func noteDelivered(_ ranges: [SignedRange]) throws

    /// Records that the server refused a carried range: `permanently` (forged, or altered on the
    /// way) it is carried no more; otherwise it is tried again at the next sync.
    func noteRefused(_ range: SignedRange, permanently: Bool) throws

    /// The conflicts this replica saw open, and saw resolved, that the server has not
    /// acknowledged yet: at most `limit` ids of each, in id order (see ``ConflictReport``).
    func pendingConflictReport(limit: Int) throws -> ConflictReport

    /// What a request sends beside `versions`, in one read: the pending conflict report (see
    /// ``pendingConflictReport(limit:)``) and, when `access` (a replica that follows its
    /// access), ``accessParts(for:)``.
    func requestParts(for versions: [Version], conflictLimit: Int, access: Bool) throws -> RequestParts

    /// Records that the server answered a request carrying `report`: its ids are not reported
    /// again (unless the server's history changes, see ``CursorChange/clear``).
    func noteConflictsReported(_ report: ConflictReport) throws
}

/// What a request carries beside its versions (see ``SyncReplica/requestParts(for:conflictLimit:access:)``).
public struct RequestParts: Sendable {
    public var conflicts: ConflictReport
    public var homes: [Placement]
    public var withdrawn: [Dot]

    public init(conflicts: ConflictReport = ConflictReport(), homes: [Placement] = [], withdrawn: [Dot] = []) {
        self.conflicts = conflicts
        self.homes = homes
        self.withdrawn = withdrawn
    }
}

extension SyncReplica {
    /// The reads one after the other, for replicas whose reads cost nothing.
    public func syncStart(conflictLimit: Int) throws -> (start: SyncStart, parts: RequestParts) {
        (try syncStart(), try requestParts(for: [], conflictLimit: conflictLimit, access: true))
    }

    /// The two reads one after the other, for replicas whose reads cost nothing.
    public func requestParts(for versions: [Version], conflictLimit: Int, access: Bool) throws -> RequestParts {
        var parts = RequestParts(conflicts: try pendingConflictReport(limit: conflictLimit))
        if access { (parts.homes, parts.withdrawn) = try accessParts(for: versions) }
        return parts
    }
}

/// Versions carried for other replicas, with the signatures that vouch for them.
public struct CarriedPage: Sendable, Equatable {
    public var versions: [Version]
    public var signatures: [SignedRange]

    public init(versions: [Version] = [], signatures: [SignedRange] = []) {
        self.versions = versions
        self.signatures = signatures
    }
}

extension SyncReplica {
    /// A replica that names no compartments and sets nothing aside.
    public func accessParts(for versions: [Version]) throws -> (homes: [Placement], withdrawn: [Dot]) { ([], []) }
    public func setAside(_ records: [RecordID]) throws {}

    /// A replica that carries nothing for others.
    public func carried(limit: Int, budget: PageBudget, excluding: Set<SignedRange>) throws -> CarriedPage { CarriedPage() }
    public func noteDelivered(_ ranges: [SignedRange]) throws {}
    public func noteRefused(_ range: SignedRange, permanently: Bool) throws {}
}

extension SyncReplica {
    /// A replica that keeps no conflicts (it derives no field states) reports none.
    public func pendingConflictReport(limit: Int) throws -> ConflictReport { ConflictReport() }
    public func noteConflictsReported(_ report: ConflictReport) throws {}
}

/// Where a replica stands when a sync starts.
public struct SyncStart: Sendable, Equatable {
    /// The replica ids whose versions it pushes (its own, now and before).
    public var own: Set<ReplicaID>
    /// For those ids, the counters the server last acknowledged receiving from this file.
    public var acknowledged: VersionVector
    /// Where in the server's feed its last complete pull stopped.
    public var cursor: FeedCursor?
    /// Every counter it holds; with a `cursor`, those of its `own` ids are enough (a pull by
    /// cursor sends and reads no other).
    public var vector: VersionVector
    /// Its public signing key, sent with the first request so the server binds it.
    public var publicKey: Data?
    /// How far it has followed its analyst's access; nil for a replica that does not.
    public var access: AccessCursor?

    public init(own: Set<ReplicaID>, acknowledged: VersionVector, cursor: FeedCursor?, vector: VersionVector, publicKey: Data? = nil,
                access: AccessCursor? = nil) {
        self.own = own
        self.acknowledged = acknowledged
        self.cursor = cursor
        self.vector = vector
        self.publicKey = publicKey
        self.access = access
    }
}
