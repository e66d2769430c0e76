// Speed machinery: the write log folded into versions and field states by set-wise statements.
import Foundation
import GRDB
import SyncModel

extension WriteLog {
    /// Folds every logged write into versions, records and field states, in counter order, and
    /// empties the log; nothing to do when it is empty.
    ///
    /// Usually with a few set-wise statements (``foldWithoutMerging(_:)``): every logged write's
    /// context is its field's whole vector when it was logged (``FieldHeads/localWriteContext``), and nothing changed the field
    /// since but later logged writes, so the field's last logged write is its only head and no
    /// merge is needed. Records holding a `_deleted` field (whose deletion each edit may
    /// settle again), underived field states, and a log whose counters do not continue the
    /// replica's go through the general batch instead, which settles or refuses them exactly
    /// as a direct write would.
    static func fold(_ store: Store, _ db: Database) throws {
        guard try hasEntries(db) else { return }
        if try canFoldWithoutMerging(db) {
            try foldWithoutMerging(db)
        } else {
            try foldAsBatch(store, db)
        }
        try DirectStatement(db.cachedStatement(sql: "DELETE FROM write_log")).run()
    }

    /// Whether no field state is underived, no logged record holds a `_deleted` field, and each
    /// replica's logged counters continue its stored counter without a gap.
    private static func canFoldWithoutMerging(_ db: Database) throws -> Bool {
        let query = try DirectStatement(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM meta WHERE key = '\(ApplyBatch.fieldsPendingKey)')
                OR EXISTS (SELECT 1 FROM write_log l JOIN record r ON r.uuid = l.record
                           JOIN field f ON f.record = r.id AND f.name = '\(RecordSchema.deletedFieldName)')
                OR EXISTS (SELECT 1 FROM (SELECT replica, count(*) AS n, min(counter) AS first, max(counter) AS last
                                          FROM write_log GROUP BY replica) l
                           LEFT JOIN replica p ON p.id = l.replica
                           WHERE p.id IS NULL OR l.first != p.counter + 1 OR l.last - l.first + 1 != l.n)
            """))
        return try query.firstRow { $0.int64(0) == 0 } ?? false
    }

    /// Stores the logged versions as they are, adds the records only the log holds (in the
    /// order the log first names them, as direct writes would), sets each logged field's state
    /// to its last logged write (joined: that write's context; heads: its dot; its value; no
    /// conflict), and advances the replicas' counters.
    private static func foldWithoutMerging(_ db: Database) throws {
        for sql in [
            // In counter order, a record's first logged write adds it and the others, like the
            // records already stored, meet the unique uuid and are skipped (OR IGNORE: `uuid`
            // and `kind` are never NULL, so uniqueness is the only constraint it can meet). A
            // `GROUP BY record` with `NOT EXISTS` did the same with two sorts: 35% of a fold.
            """
            INSERT OR IGNORE INTO record (uuid, kind, deleted) SELECT record, kind, 0 FROM write_log ORDER BY counter
            """,
            """
            INSERT OR FAIL INTO version (replica, counter, record, kind, field, context, value, author, time)
                SELECT l.replica, l.counter, r.id, l.kind, l.field, l.context, l.value, l.author, l.time
                FROM write_log l JOIN record r ON r.uuid = l.record ORDER BY l.counter
            """,
            """
            UPDATE replica SET counter = (SELECT max(counter) FROM write_log l WHERE l.replica = replica.id)
                WHERE id IN (SELECT replica FROM write_log)
            """,
        ] {
            try DirectStatement(db.cachedStatement(sql: sql)).run()
        }
        let upsert = try db.cachedStatement(sql: ApplyBatch.fieldUpsertSQL)
        // Each field's last logged write (SQLite takes the other columns from the row `max` picks).
        let lastWrites = try db.cachedStatement(sql: """
            SELECT r.id, l.field, l.context, l.replica, l.last, l.value
            FROM (SELECT record, field, context, replica, max(counter) AS last, value FROM write_log GROUP BY record, field) l
            JOIN record r ON r.uuid = l.record
            """)
        // Read and bound with SQLite's own calls: the name, context and value go from one
        // statement to the other as SQLite holds them, with no Swift copy (GRDB's rows made a
        // String, a Data and an array per field: 2% of a single write's instructions).
        try DirectStatement(lastWrites).forEachRow { row in
            var write = DirectStatement(upsert)
            write.bind(row.int64(0))
            write.bind(column: 1, of: row)
            write.bind(column: 2, of: row)
            write.bind(blob: ClockBlob.encode([(row: row.int64(3), counter: UInt64(row.int64(4)))]))
            write.bind(column: 5, of: row)
            write.bind(nil as String?)
            try write.run()
        }
    }

    /// The general fold: one ``ApplyBatch`` of the logged versions, in counter order.
    private static func foldAsBatch(_ store: Store, _ db: Database) throws {
        var names = ReplicaNames()
        var versions: [PreparedVersions.Entry] = []
        let statement = try db.cachedStatement(sql: """
            SELECT counter, replica, record, kind, field, context, value, author, time FROM write_log ORDER BY counter
            """)
        let rows = try Row.fetchCursor(statement)
        while let row = try rows.next() {
            guard let record = RecordID(row[2] as String) else { throw damaged("a malformed record id") }
            let counter: Int64 = row[0]
            let valueText: String = row[6]
            // Made by a local write from checked parts, like a direct write's versions: stored
            // with the value text as it was logged, not checked or encoded again.
            versions.append(PreparedVersions.Entry(logged: Version(
                dot: Dot(replica: try names.id(row: row[1], db), counter: UInt64(counter)),
                context: try names.vector(row, 5, in: statement.sqliteStatement, db),
                record: record, kind: row[3], field: row[4],
                value: try StoreCoding.decodeValue(valueText), author: row[7], time: row[8]
            ), valueText: valueText))
        }
        var batch = try ApplyBatch.begin(store, db)
        try batch.preload(versions.lazy.map(\.version))
        for entry in versions { try batch.integrate(entry) }
        _ = try batch.finish()
    }
}
