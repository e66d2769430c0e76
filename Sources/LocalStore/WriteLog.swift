import GRDB
import SyncModel

/// A replica's single local writes, appended whole to the `write_log` table and folded into
/// versions, records and field states later, many at once.
///
/// A single write applied directly commits five to seven B-tree pages (its version row and
/// field-index entry, the replica's counter, the field state, and for a new record the record
/// row and its indexes) where a plain SQLite insert commits one. Appended to the log, it commits
/// about one: the log's last leaf. Its lookups are the same as a direct write's, so the version
/// it makes is the same.
///
/// The rules that keep the log invisible:
/// - Every other transaction on the replica folds the log first (``Store/transaction(foldingLog:_:)``),
///   and every read waits for it to be empty (``Store/read(_:)``), so nothing ever reads a state
///   the log has made stale.
/// - A write goes to the log only when the log holds no write of the same record: the field
///   state it reads is then the whole story. Otherwise, when the log is full, when the field is
///   `_deleted` (whose context joins every field of the record), or while a first sync's field
///   states are underived, it folds the log and writes directly, in the same transaction.
/// - Folding integrates the logged versions in counter order, as the direct path would have one
///   by one, so the states are the same; `WriteLogTests` checks that for random sequences.
enum WriteLog {
    /// How many writes the log holds; the write after that folds them.
    static let defaultCapacity = 64

    static func hasEntries(_ db: Database) throws -> Bool {
        let query = try DirectStatement(db.cachedStatement(sql: "SELECT 1 FROM write_log LIMIT 1"))
        return try query.firstRow { _ in true } ?? false
    }

    /// Folds every logged write into versions, records and field states, in counter order, and
    /// empties the log; nothing to do when it is empty.
    static func fold(_ store: Store, _ db: Database) throws {
        guard try hasEntries(db) else { return }
        var names = ReplicaNames()
        var versions: [Version] = []
        let statement = try db.cachedStatement(sql: """
            SELECT counter, replica, record, kind, field, context, value, author, time FROM write_log ORDER BY counter
            """)
        let rows = try Row.fetchCursor(statement)
        while let row = try rows.next() {
            guard let record = RecordID(row[2] as String) else { throw damaged("a malformed record id") }
            let counter: Int64 = row[0]
            versions.append(Version(
                dot: Dot(replica: try names.id(row: row[1], db), counter: UInt64(counter)),
                context: try names.vector(row, 5, in: statement.sqliteStatement, db),
                record: record, kind: row[3], field: row[4],
                value: try StoreCoding.decodeValue(row[6]), author: row[7], time: row[8]
            ))
        }
        var batch = try ApplyBatch.begin(store, db)
        try batch.preload(versions)
        // Each was made by a local write from checked parts, like a direct write's versions.
        for version in versions { try batch.integrate(version, checked: true) }
        _ = try batch.finish()
        try db.execute(sql: "DELETE FROM write_log")
    }

    private static func damaged(_ what: String) -> StoreError {
        .writeFailed(reason: "the replica's write log holds \(what); run PRAGMA integrity_check")
    }
}

extension ApplyBatch {
    /// A batch for one local write that may go to the write log; nil while a first sync's field
    /// states are underived (the write must then derive them first, through ``begin(_:_:deferFields:deriveChunk:)``).
    static func forLog(_ store: Store, _ db: Database) throws -> ApplyBatch? {
        try fieldsPending(db) ? nil : ApplyBatch(store, db)
    }

    /// Appends the local write of `value` (already canonical) to `change.field` of `change.record`
    /// to the write log as the version a direct write would make, and returns it; nil, having
    /// written nothing, when the write must fold the log and go directly (see ``WriteLog``).
    /// A record held with another kind fails as a direct write does.
    mutating func logWrite(
        _ change: FieldChange, value: FieldValue, replica: ReplicaID, author: String, time: Int64, capacity: Int
    ) throws -> Version? {
        guard change.field != RecordSchema.deletedField.name else { return nil }
        // One pass over the log (a few dozen rows at most): its size, its last counter, and
        // whether it holds a write of this record.
        var scan = try DirectStatement(db.cachedStatement(sql: """
            SELECT count(*), coalesce(max(counter), 0), coalesce(max(record = ?), 0) FROM write_log
            """))
        scan.bind(change.record)
        guard let (count, last, sameRecord) = try scan.firstRow({ row in (row.int64(0), row.int64(1), row.int64(2)) }),
              count < capacity, sameRecord == 0 else { return nil }
        let entry = try replicaEntry(replica)
        if let known = try recordEntry(change.record), known.kind != change.kind {
            throw StoreError.kindMismatch(record: change.record, known: known.kind, got: change.kind)
        }
        let version = Version(
            dot: Dot(replica: replica, counter: max(entry.counter, UInt64(last)) + 1),
            context: try fieldVector(record: change.record, kind: change.kind, field: change.field),
            record: change.record, kind: change.kind, field: change.field, value: value, author: author, time: time
        )
        var insert = try DirectStatement(db.cachedStatement(sql: """
            INSERT INTO write_log (counter, replica, record, kind, field, context, value, author, time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """))
        insert.bind(Int64(version.dot.counter))
        insert.bind(entry.rowID)
        insert.bind(change.record)
        insert.bind(change.kind)
        insert.bind(change.field)
        insert.bind(blob: try clockBlob(version.context))
        insert.bind(StoreCoding.encode(value))
        insert.bind(author)
        insert.bind(time)
        try insert.run()
        return version
    }
}
