import GRDB
import SyncModel
import SyncProtocol

/// Integrates versions into a replica's store inside one open transaction.
///
/// Field states touched by the batch are held in memory and merged and written once at
/// ``finish()``, so a batch of n versions of one field costs one merge, not n.
struct ApplyBatch {
    let db: Database
    let schemas: SchemaRegistry
    let maxValueBytes: Int
    /// The store's pool, on a file: field derivation reads on one of its readers.
    var pool: DatabasePool?
    var replicas: [ReplicaID: ReplicaEntry] = [:]
    /// The replicas stored clocks name by row id (see ``ClockBlob``).
    var names = ReplicaNames()
    /// Records known to exist, with their row ids and kinds.
    var records: [RecordID: RecordEntry] = [:]
    var fields: [FieldKey: FieldEntry] = [:]
    /// Fields this batch wrote, in the order it first wrote them: ``finish()`` writes them back
    /// in that order, so its report is the same in every run without sorting string keys.
    var written: [FieldKey] = []
    var report = ApplyReport()
    /// Records whose kind ``preload(_:)`` loaded, with the fields whose states it loaded: what it
    /// did not find does not exist, so meeting them costs no query.
    var preloaded: [RecordID: Set<String>] = [:]
    /// A deferred batch stores versions and records but not field states (see ``begin(_:_:deferFields:)``).
    var defersFields = false
    /// New `record` and `version` rows, inserted a few dozen per statement (see ``RowBuffer``).
    var recordRows = RowBuffer<RecordRowInsert>()
    var versionRows = RowBuffer<VersionRowInsert>()
    /// The row id the batch's next new record takes, once one is added (see ``newRecordRow()``).
    var nextRecordRow: Int64?
    /// Scratch space for encoding clocks, reused so that storing one allocates nothing.
    var clockPairs: [(row: Int64, counter: UInt64)] = []
    /// Field states a derivation holds before writing them (see ``begin(_:_:deferFields:deriveChunk:)``).
    var deriveChunk = 4096
    /// Set for versions whose merges need no check against a shallow join's missing history
    /// (the join's own pages, and history pages: see ``HistoryGuard``).
    var trustsHistory = false
    /// What the replica knows of its missing history, read at the first merge that needs it.
    var historyGuard: HistoryGuard??
    /// Records whose merges may need versions a shallow join has not brought yet.
    var lacksHistory: Set<RecordID> = []

    struct ReplicaEntry {
        var rowID: Int64
        var counter: UInt64
        var dirty = false
    }

    struct RecordEntry {
        /// The `record` table's integer key, which the `version` and `field` rows name.
        var rowID: Int64
        var kind: String
    }

    struct FieldKey: Hashable {
        var record: RecordID
        var field: String
    }

    struct FieldEntry {
        var kind: String
        var heads: FieldHeads
        var oldConflict: String?
        var dirty = false
        /// The heads that arrived in this batch, so merging them needs no re-read.
        var newHeads: [Version] = []
        /// The stored value text of the last version folded in as a head, when known. If that
        /// version ends up the field's only head, the text is the field's value as stored and
        /// is written as it is instead of merged and encoded again (derivation leaves such a
        /// head's `value` `.null`); otherwise it is not used.
        var soleHead: (dot: Dot, text: String)?

        init(kind: String, heads: FieldHeads = FieldHeads(), oldConflict: String? = nil) {
            self.kind = kind
            self.heads = heads
            self.oldConflict = oldConflict
        }
    }

    /// A stored state: `joined, heads, conflict` from column `offset` of the current row of a
    /// `field` query, the clocks read in SQLite's buffers.
    mutating func storedEntry(kind: String, _ row: DirectRow, offset: Int32) throws -> FieldEntry {
        FieldEntry(kind: kind, heads: FieldHeads(joined: try ClockBlob.withColumn(row.handle, Int(offset)) { try names.vector(bytes: $0, db) },
                                                 heads: try ClockBlob.withColumn(row.handle, Int(offset) + 1) { try names.dots(bytes: $0, db) }),
                   oldConflict: row.text(offset + 2))
    }

    init(_ store: Store, _ db: Database) {
        self.db = db
        pool = store.writer as? DatabasePool
        schemas = store.schemas
        maxValueBytes = store.maxValueBytes
    }

    /// A batch for a write transaction on `store`.
    ///
    /// A fresh replica's first sync can defer field states (`deferFields`): its pages then store
    /// versions and records only, and ``deriveFields()`` computes every field state once, in
    /// field order, at the end — instead of loading, merging and rewriting each field once per
    /// page that touches it. A meta flag, set in the first deferred page's transaction, marks
    /// the states as underived; any other batch on a flagged replica derives them before it
    /// does anything else (so none merges into missing states), and so does opening the file.
    /// `deriveChunk` is how many field states derivation holds before writing them, and how many
    /// versions its reader hands over at a time. `derivingUncommitted`, when this transaction
    /// itself deferred the states, reads the versions on its own connection: a pool's reader
    /// cannot see them before the commit.
    static func begin(
        _ store: Store, _ db: Database, deferFields: Bool = false, deriveChunk: Int = 4096, derivingUncommitted: Bool = false
    ) throws -> ApplyBatch {
        var batch = ApplyBatch(store, db)
        batch.deriveChunk = deriveChunk
        if derivingUncommitted { batch.pool = nil }
        let pending = try fieldsPending(db)
        if deferFields, try pending || Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM version LIMIT 1")) == nil {
            if !pending { try Meta.set(fieldsPendingKey, "1", db) }
            batch.defersFields = true
        } else if pending {
            try batch.deriveFields()
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [fieldsPendingKey])
        }
        return batch
    }

    /// Writes replica counters and merged field states; returns what the batch did.
    mutating func finish() throws -> ApplyReport {
        let updateReplica = try db.cachedStatement(sql: "UPDATE replica SET counter = ? WHERE id = ?")
        for entry in replicas.values where entry.dirty {
            var update = DirectStatement(updateReplica)
            update.bind(Int64(entry.counter))
            update.bind(entry.rowID)
            try update.run()
        }
        try writeFields()
        // Merged without versions they may need: nothing of the batch is kept (the caller's
        // transaction rolls back), and the sync brings those records' history first.
        if !lacksHistory.isEmpty { throw RecordHistoryNeeded(records: lacksHistory.sorted()) }
        // Every conflict a batch opens or closes is noted for the server's count, even one that
        // opens and closes again before the next sync.
        try ConflictReports.note(report, db)
        return report
    }
}
