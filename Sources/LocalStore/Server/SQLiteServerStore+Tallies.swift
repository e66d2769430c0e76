import GRDB
public import SyncProtocol

/// What operators count that the server never decides by: conflicts as replicas reported them,
/// and bundle applies by result (`/metrics`, `sync-server status`).
extension SQLiteServerStore {
    public func conflictCounts() throws -> ConflictCounts {
        try read { db in try ServerConflicts.counts(db) }
    }

    public func recordRefusedBundleApply(_ reason: BundleApplyResult.Reason, at time: Int64) throws {
        try write { db in try BundleApplyTally.count(.refused(reason), db) }
    }

    public func bundleApplies() throws -> [BundleApplyResult: Int] {
        try read { db in try BundleApplyTally.counts(db) }
    }

    /// Every conflict reported, with when it was first reported opened and resolved (nil while
    /// open), by id: for `sync-server migrate` and tests.
    public func reportedConflicts() throws -> [(id: String, opened: Int64, closed: Int64?)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, opened, closed FROM conflict ORDER BY id").map { ($0[0], $0[1], $0[2]) }
        }
    }
}
