package import GRDB
public import SyncModel
public import SyncProtocol

/// The conflict report a replica file sends with its syncs (see ``ConflictReports``).
extension Replica {
    public func pendingConflictReport(limit: Int) throws -> ConflictReport {
        try store.read { db in try ConflictReports.pending(limit: limit, db) }
    }

    public func requestParts(for versions: [Version], conflictLimit: Int, access: Bool) throws -> RequestParts {
        try store.read { db in try requestParts(for: versions, conflictLimit: conflictLimit, access: access, db) }
    }

    /// `acknowledged`, when the caller has read it in this transaction, is the server's vector
    /// as the file holds it.
    func requestParts(for versions: [Version], conflictLimit: Int, access: Bool, acknowledged: VersionVector? = nil, _ db: Database) throws -> RequestParts {
        var parts = RequestParts(conflicts: try ConflictReports.pending(limit: conflictLimit, db))
        if access { (parts.homes, parts.withdrawn) = try accessParts(for: versions, acknowledged: acknowledged, db) }
        return parts
    }

    public func noteConflictsReported(_ report: ConflictReport) throws {
        guard !report.isEmpty else { return }
        try store.transaction { db in try ConflictReports.acknowledge(report, db) }
    }

    /// Drops `ids` from what this replica reports to the server, without reporting them
    /// resolved: for conflicts that leave this file for a reason other than a resolution (its
    /// records removed from the replica), since a conflict known here that is no longer open is
    /// otherwise reported resolved at the next sync. Pass every id open on the records removed
    /// (``conflictsOpen(on:in:)``, read before removing them); call it after removing them, in
    /// the same transaction where one is open (``forgetConflictReports(_:in:)``), so no sync
    /// reads the state between the two.
    public func forgetConflictReports(_ ids: some Sequence<ConflictID>) throws {
        try store.transaction { db in try ConflictReports.forget(ids, db) }
    }

    /// ``forgetConflictReports(_:)`` in a write transaction already open on this replica's file.
    package func forgetConflictReports(_ ids: some Sequence<ConflictID>, in db: Database) throws {
        try ConflictReports.forget(ids, db)
    }

    /// The conflicts open on `records` (their fields', and those of cells sharing a number with
    /// one of them), for ``forgetConflictReports(_:in:)`` once the records are removed.
    package func conflictsOpen(on records: Set<RecordID>, in db: Database) throws -> [ConflictID] {
        try ConflictReports.open(on: records, db)
    }
}
