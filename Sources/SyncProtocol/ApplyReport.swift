public import SyncModel

/// What one batch of versions did to a store.
public struct ApplyReport: Sendable, Equatable {
    /// Versions not held before.
    public var new = 0
    /// Versions already held (identical content).
    public var duplicates = 0
    /// Fields whose several heads merged without conflict after this batch.
    public var cleanMerges = 0
    /// Conflicts that this batch opened.
    public var newConflicts: [ConflictID] = []
    /// Conflicts that this batch closed.
    public var closedConflicts: [ConflictID] = []

    public init() {}

    /// Adds what a later batch did: a conflict it closes is no longer new.
    public mutating func add(_ later: ApplyReport) {
        new += later.new
        duplicates += later.duplicates
        cleanMerges += later.cleanMerges
        newConflicts.removeAll(where: later.closedConflicts.contains)
        newConflicts += later.newConflicts
        closedConflicts += later.closedConflicts
    }
}
