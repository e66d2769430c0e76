// Speed machinery: single local writes appended to a log and folded later: one page per commit instead of five to seven.
import GRDB
import SyncModel
import SyncProtocol

/// A replica's single local writes, appended whole to the `write_log` table and folded into
/// versions, records and field states later, many at once.
///
/// A single write applied directly commits five to seven B-tree pages (its version row and
/// field-index entry, the replica's counter, the field state, and for a new record the record
/// row and its indexes) where a plain SQLite insert commits one. Appended to the log, it commits
/// about one: the log's last leaf. It reads what a direct write reads, so the version it makes
/// is the same; what the log itself holds comes from memory while nothing else has changed
/// the file (``WriteLogSummary``).
///
/// The rules that keep the log invisible:
/// - Every other transaction on the replica folds the log first (``Store/transaction(foldingLog:_:)``),
///   and every read waits for it to be empty (``Store/read(_:)``), so nothing ever reads a state
///   the log has made stale.
/// - A write's context is what a direct write would read: the field's stored state, or, when the
///   log holds a write of the same field, that write's context and dot (what folding it gives).
///   The kind of a record only the log holds is checked against the log.
/// - When the log is full, for `_deleted` (whose context joins every field of the record), and
///   while a first sync's field states are underived, a write folds the log and goes directly,
///   in the same transaction.
/// - Folding gives the states the direct path would have given one write at a time: each
///   logged field's last write becomes its only head (see ``fold(_:_:)``), or, for records the
///   set-wise fold leaves alone, the logged versions are integrated in counter order;
///   `WriteLogTests` checks that for random sequences.
enum WriteLog {
    /// How many writes the log holds; the write after that folds them. A fold's cost per write
    /// falls as the log grows (more writes share the pages a fold dirties, such as the record
    /// indexes' leaves) up to about this size; a read after many writes folds at most this
    /// many, a few milliseconds (docs/performance.md, single writes).
    static let defaultCapacity = 256

    /// A record's kind and one field's stored clocks. `+?2`, not `?2`: in a join, SQLite weighs
    /// whether a term compared with a bare parameter makes the partial index on cell numbers
    /// (`WHERE name = 'number'`) usable, and then prepares the statement again whenever that
    /// parameter is bound (`sqlite3Reprepare` was 21% of a profile of single writes).
    static let recordAndFieldSQL = """
        SELECT r.kind, f.joined, f.heads FROM record r LEFT JOIN field f ON f.record = r.id AND f.name = +?2 WHERE r.uuid = ?1
        """

    static func hasEntries(_ db: Database) throws -> Bool {
        let query = try DirectStatement(db.cachedStatement(sql: "SELECT 1 FROM write_log LIMIT 1"))
        return try query.firstRow { _ in true } ?? false
    }

    static func damaged(_ what: String) -> StoreError {
        .damaged("the replica's write log holds \(what)")
    }
}

extension ApplyBatch {
    /// Appends the local write of `value` (already canonical) to `change.field` of `change.record`
    /// to the write log as the version a direct write would make, and returns it; nil, having
    /// written nothing, when the write must fold the log and go directly (see ``WriteLog``).
    /// A record held, or logged, with another kind fails as a direct write does. What the log
    /// holds comes from `summaries` while nothing else has changed the file, else from the log
    /// (see ``WriteLogSummary``); the updated summary is left pending for the transaction to
    /// keep when it commits. Call on a batch made with `init`, not
    /// ``begin(_:_:deferFields:deriveChunk:)``: this write decides itself whether anything must
    /// be folded or derived first.
    mutating func logWrite(
        _ change: FieldChange, value: FieldValue, replica: ReplicaID, author: String, time: Int64, capacity: Int,
        summaries: WriteLogSummaryCache, checkCleared: (Database) throws -> Bool
    ) throws -> Version? {
        guard change.field != RecordSchema.deletedFieldName,
              var summary = try summaries.take(db, replica: replica) ?? WriteLogSummary.read(db, replica: replica),
              summary.count < capacity else { return nil }
        if !summary.clearedToWrite { summary.clearedToWrite = try checkCleared(db) }
        // Moved, not copied, so that neither side copies them on change.
        swap(&replicas, &summary.replicas)
        swap(&names, &summary.names)
        let entry = try replicaEntry(replica)
        let key = FieldKey(record: change.record, field: change.field)
        // The record's kind: as stored, else as the log gives it (checked when it was logged).
        var known = summary.kinds[change.record]
        var context: VersionVector
        if let logged = summary.fields[key] {
            // The stored state is that write's predecessor, and the field's vector is now that
            // write's context and dot (what integrating it gives).
            context = FieldHeads.localWriteContext(after: logged.context, Dot(replica: replica, counter: UInt64(logged.counter)))
        } else {
            // The record and the field's stored state, current as the log holds no write of it.
            var select = try DirectStatement(db.cachedStatement(sql: WriteLog.recordAndFieldSQL))
            select.bind(change.record)
            select.bind(change.field)
            let stored = try select.firstRow { row -> (kind: String, vector: VersionVector) in
                guard !row.isNull(1) else { return (row.text(0) ?? "", VersionVector()) }
                let heads = FieldHeads(joined: try ClockBlob.withColumn(row.handle, 1) { try names.vector(bytes: $0, db) },
                                       heads: try ClockBlob.withColumn(row.handle, 2) { try names.dots(bytes: $0, db) })
                return (row.text(0) ?? "", heads.localWriteContext)
            }
            known = stored?.kind ?? known
            context = stored?.vector ?? VersionVector()
        }
        if let known, known != change.kind {
            throw VersionRefusal.kindMismatch(record: change.record, known: known, got: change.kind)
        }
        let version = Version(
            dot: Dot(replica: replica, counter: max(entry.counter, UInt64(summary.last)) + 1),
            context: context, record: change.record, kind: change.kind, field: change.field, value: value, author: author, time: time
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
        swap(&replicas, &summary.replicas)
        swap(&names, &summary.names)
        summary.note(version, db)
        summaries.setPending(summary)
        return version
    }
}
