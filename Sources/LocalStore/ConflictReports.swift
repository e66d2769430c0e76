import GRDB
import SyncModel
import SyncProtocol

/// What a replica reports of its conflicts to the server (see ``ConflictReport``), so that the
/// server, which merges nothing, can count open conflicts for operators.
///
/// Table `conflict_report` holds one row per conflict this replica has known open: `resolved`
/// once it saw the conflict resolved, `reported` once the server acknowledged the row's state.
/// A resolved row is kept after it is reported, so a server restored from a backup can be told
/// again (``reportAgain(_:)``); a resolved id never opens again (a new conflict on the field has
/// other heads, so another id), so those rows only ever settle.
///
/// The open conflicts are the ids in `field.conflict` and those of cells sharing a number.
/// Rows come from two sides: every batch that opens or closes a field's conflict notes it
/// (``note(_:_:)``), so one opened and resolved between two syncs is still reported; and each
/// report compares the rows with the open conflicts (``pending(limit:_:)``), which finds open
/// ones no batch noted (cells sharing a number, files older than this table) and takes a known
/// conflict that is no longer open as resolved. That comparison is deliberate: a conflict is
/// resolved when its field stops being in conflict. Whatever removes conflicts from the file
/// for another reason (records removed from the replica) must drop their ids from the
/// bookkeeping in the same transaction (``forget(_:_:)``), or they are reported resolved.
enum ConflictReports {
    /// Notes the conflicts a batch opened and closed, in its transaction.
    static func note(_ report: ApplyReport, _ db: Database) throws {
        guard !report.newConflicts.isEmpty || !report.closedConflicts.isEmpty else { return }
        let opened = try db.cachedStatement(sql: "INSERT INTO conflict_report (id, resolved, reported) VALUES (?, 0, 0) ON CONFLICT (id) DO NOTHING")
        for id in report.newConflicts { try opened.execute(arguments: [id.rawValue]) }
        let closed = try db.cachedStatement(sql: """
            INSERT INTO conflict_report (id, resolved, reported) VALUES (?, 1, 0)
            ON CONFLICT (id) DO UPDATE SET resolved = 1, reported = 0 WHERE resolved = 0
            """)
        for id in report.closedConflicts { try closed.execute(arguments: [id.rawValue]) }
    }

    /// What the server has not acknowledged: at most `limit` ids of each list, in id order.
    /// Nothing while a first sync's field states are underived (no conflict is known then).
    static func pending(limit: Int, _ db: Database) throws -> ConflictReport {
        guard try !ApplyBatch.fieldsPending(db) else { return ConflictReport() }
        var open = Set(try String.fetchAll(db.cachedStatement(sql: "SELECT conflict FROM field INDEXED BY field_by_conflict WHERE conflict IS NOT NULL"))
            .compactMap(ConflictID.init))
        var names = ReplicaNames()
        open.formUnion(try Store.numberConflicts(db, names: &names).map(\.id))
        var opened: [ConflictID] = [], resolved: [ConflictID] = []
        var known: Set<ConflictID> = []
        // A row per conflict this replica ever knew: a few hundred in years, read whole.
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT id, resolved, reported FROM conflict_report WHERE resolved = 0 OR reported = 0")) {
            guard let id = ConflictID(row[0] as String) else { continue }
            known.insert(id)
            if row[1] as Bool {
                resolved.append(id)
            } else if !open.contains(id) {
                resolved.append(id)
            } else if !(row[2] as Bool) {
                opened.append(id)
            }
        }
        let row = try db.cachedStatement(sql: "SELECT 1 FROM conflict_report WHERE id = ?")
        for id in open.subtracting(known) where try Int.fetchOne(row, arguments: [id.rawValue]) == nil {
            opened.append(id)
        }
        return ConflictReport(opened: Array(opened.sorted().prefix(limit)), resolved: Array(resolved.sorted().prefix(limit)))
    }

    /// Records that the server took `report`. An opened id is marked reported only while this
    /// replica still has it open: one resolved since the report was read stays to report.
    static func acknowledge(_ report: ConflictReport, _ db: Database) throws {
        let opened = try db.cachedStatement(sql: """
            INSERT INTO conflict_report (id, resolved, reported) VALUES (?, 0, 1)
            ON CONFLICT (id) DO UPDATE SET reported = 1 WHERE resolved = 0
            """)
        for id in report.opened { try opened.execute(arguments: [id.rawValue]) }
        let resolved = try db.cachedStatement(sql: """
            INSERT INTO conflict_report (id, resolved, reported) VALUES (?, 1, 1)
            ON CONFLICT (id) DO UPDATE SET resolved = 1, reported = 1
            """)
        for id in report.resolved { try resolved.execute(arguments: [id.rawValue]) }
    }

    /// The conflicts open on `records`: their fields' conflicts, and those of cells sharing a
    /// number with one of them. Read before the records leave the file, to ``forget(_:_:)``
    /// after.
    static func open(on records: Set<RecordID>, _ db: Database) throws -> [ConflictID] {
        var ids: Set<ConflictID> = []
        let fields = try db.cachedStatement(sql: """
            SELECT f.conflict FROM field f JOIN record r ON r.id = f.record WHERE r.uuid = ? AND f.conflict IS NOT NULL
            """)
        for record in records {
            ids.formUnion(try String.fetchAll(fields, arguments: [record.rawValue]).compactMap(ConflictID.init))
        }
        var names = ReplicaNames()
        for conflict in try Store.numberConflicts(db, names: &names) where conflict.heads.contains(where: { records.contains($0.record) }) {
            ids.insert(conflict.id)
        }
        return ids.sorted()
    }

    /// Drops `ids` from the bookkeeping without reporting them: for conflicts that left this
    /// file for a reason other than a resolution.
    static func forget(_ ids: some Sequence<ConflictID>, _ db: Database) throws {
        let delete = try db.cachedStatement(sql: "DELETE FROM conflict_report WHERE id = ?")
        for id in ids { try delete.execute(arguments: [id.rawValue]) }
    }

    /// Makes every row to report again: the server's history changed (it refused this file's
    /// cursor: restored from a backup, or another server), so what it acknowledged may be lost.
    static func reportAgain(_ db: Database) throws {
        try db.execute(sql: "UPDATE conflict_report SET reported = 0 WHERE reported = 1")
    }

    /// The table, made by migration `v9-conflict-reports`.
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE conflict_report (
                id TEXT PRIMARY KEY NOT NULL,
                resolved INTEGER NOT NULL,
                reported INTEGER NOT NULL
            ) WITHOUT ROWID;
            """)
    }
}
