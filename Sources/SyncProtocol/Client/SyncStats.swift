public import SyncModel

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
    /// Carried ranges the server refused.
    public var refusedCarried: [SyncSession.RefusedRange] = []

    public init() {}

    /// Adds what an earlier session of the same sync did (one that a record's history cut short).
    public mutating func add(_ other: SyncStats) {
        requests += other.requests
        sent += other.sent
        received += other.received
        cleanMerges += other.cleanMerges
        newConflicts += other.newConflicts.filter { !newConflicts.contains($0) }
        refusedCarried += other.refusedCarried
    }

    /// Counts what storing a page (or settling field states) did. A conflict a later page
    /// closes is no longer new.
    public mutating func count(_ report: ApplyReport) {
        received += report.new
        cleanMerges += report.cleanMerges
        newConflicts.removeAll(where: report.closedConflicts.contains)
        newConflicts += report.newConflicts
    }
}
