import GRDB
import SyncModel

/// Integrates versions into a store inside one open transaction.
///
/// Field states touched by the batch are held in memory and merged and written once at
/// ``finish()``, so a batch of n versions of one field costs one merge, not n.
struct ApplyBatch {
    let db: Database
    let schemas: SchemaRegistry
    let maxValueBytes: Int
    /// The store's pool, on a file: field derivation reads on one of its readers.
    private let pool: DatabasePool?
    var replicas: [ReplicaID: ReplicaEntry] = [:]
    /// The replicas stored clocks name by row id (see ``ClockBlob``).
    var names = ReplicaNames()
    /// Records known to exist, with their row ids and kinds.
    private var records: [RecordID: RecordEntry] = [:]
    private var fields: [FieldKey: FieldEntry] = [:]
    /// Fields this batch wrote, in the order it first wrote them: ``finish()`` writes them back
    /// in that order, so its report is the same in every run without sorting string keys.
    private var written: [FieldKey] = []
    var report = ApplyReport()
    /// Records whose kind ``preload(_:)`` loaded, with the fields whose states it loaded: what it
    /// did not find does not exist, so meeting them costs no query.
    private var preloaded: [RecordID: Set<String>] = [:]
    /// A deferred batch stores versions and records but not field states (see ``begin(_:_:deferFields:)``).
    private var defersFields = false
    /// On a server store: the feed's last position, loaded at the first new version.
    private let feeds: Bool
    private var feedHead: FeedCursor?
    /// New `record`, `version` and `feed` rows, inserted a few dozen per statement (see ``RowBuffer``).
    private var recordRows = RowBuffer<RecordRowInsert>()
    private var versionRows = RowBuffer<VersionRowInsert>()
    private var feedRows = RowBuffer<FeedRowInsert>()
    /// The row id the batch's next new record takes, once one is added (see ``newRecordRow()``).
    private var nextRecordRow: Int64?
    /// Scratch space for encoding clocks, reused so that storing one allocates nothing.
    private var clockPairs: [(row: Int64, counter: UInt64)] = []

    struct ReplicaEntry {
        var rowID: Int64
        var counter: UInt64
        var dirty = false
        /// The id's 16 bytes, for the feed's chain (made once per replica, not per version).
        var bytes: [UInt8]
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
    private mutating func storedEntry(kind: String, _ row: DirectRow, offset: Int32) throws -> FieldEntry {
        FieldEntry(kind: kind, heads: FieldHeads(joined: try ClockBlob.withColumn(row.handle, Int(offset)) { try names.vector(bytes: $0, db) },
                                                 heads: try ClockBlob.withColumn(row.handle, Int(offset) + 1) { try names.dots(bytes: $0, db) }),
                   oldConflict: row.text(offset + 2))
    }

    init(_ store: Store, _ db: Database) {
        self.db = db
        pool = store.writer as? DatabasePool
        schemas = store.schemas
        maxValueBytes = store.maxValueBytes
        // Every path that stores a version on a server enters it in the feed, or a client
        // reading the feed would never see it.
        feeds = store.role == .server
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
    /// versions its reader hands over at a time.
    static func begin(_ store: Store, _ db: Database, deferFields: Bool = false, deriveChunk: Int = 4096) throws -> ApplyBatch {
        var batch = ApplyBatch(store, db)
        batch.deriveChunk = deriveChunk
        guard store.role == .replica else { return batch }
        let pending = try fieldsPending(db)
        if deferFields, try pending || Int.fetchOne(db, sql: "SELECT 1 FROM version LIMIT 1") == nil {
            if !pending { try Meta.set(fieldsPendingKey, "1", db) }
            batch.defersFields = true
        } else if pending {
            try batch.deriveFields()
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [fieldsPendingKey])
        }
        return batch
    }

    /// The meta key present while field states are underived.
    static let fieldsPendingKey = "fields_pending"

    /// Whether a deferred first sync left field states underived.
    static func fieldsPending(_ db: Database) throws -> Bool {
        // Every local write asks: by SQLite's calls, without GRDB's cursor and row.
        var query = try DirectStatement(db.cachedStatement(sql: "SELECT 1 FROM meta WHERE key = ?"))
        query.bind(fieldsPendingKey)
        return try query.firstRow { _ in true } ?? false
    }

    /// Derives every field state and each record's deletion from the stored versions, read in
    /// (record, field) order through `version_by_field` (on a file, by a pool reader on another
    /// thread; see ``StoredVersions``); written a few thousand fields at a time, each record's
    /// fields together. What it finds is reported as new (conflicts, clean merges).
    private mutating func deriveFields() throws {
        try db.execute(sql: "DELETE FROM field")
        var current: (row: Int64, id: RecordID)?
        // Rows come field by field: the field being folded is held here and enters the batch's
        // dictionary once, when the next field starts. Only the values of its final heads are
        // decoded (most versions of a field are covered by a later one): `stored` holds the
        // stored text of the heads met so far.
        var field: (key: FieldKey, entry: FieldEntry)?
        var stored: [Dot: String] = [:]
        func keep(_ done: (key: FieldKey, entry: FieldEntry)?) throws {
            guard var done else { return }
            for index in done.entry.newHeads.indices {
                guard let text = stored[done.entry.newHeads[index].dot] else {
                    throw StoreError.writeFailed(reason: "deriving field states lost the value of a head; report this bug")
                }
                if done.entry.newHeads.count == 1 {
                    done.entry.soleHead = (done.entry.newHeads[index].dot, text)
                } else {
                    done.entry.newHeads[index].value = try StoreCoding.decodeValue(text)
                }
            }
            stored.removeAll(keepingCapacity: true)
            fields[done.key] = done.entry
            written.append(done.key)
        }
        func fold(_ rows: [StoredVersions.Row]) throws {
            for row in rows {
                let version = row.version
                let key = FieldKey(record: version.record, field: version.field)
                if key != field?.key {
                    try keep(field)
                    field = (key, FieldEntry(kind: version.kind))
                }
                if row.recordRow != current?.row {
                    // A record's fields are written together (its deletion depends on all of them).
                    if fields.count >= deriveChunk { try writeFields() }
                    records[version.record] = RecordEntry(rowID: row.recordRow, kind: version.kind)
                    // Every field of it is folded here, `_deleted` included if it has one: its
                    // deletion is settled without reading the field again.
                    preloaded[version.record] = Self.deletionLoaded
                    current = (row.recordRow, version.record)
                }
                _ = Self.integrate(version, text: nil, into: &field!.entry)
                if field!.entry.newHeads.last?.dot == version.dot { stored[version.dot] = row.value }
            }
        }
        if let pool {
            try StoredVersions.read(pool, chunk: deriveChunk) { try fold($0) }
        } else {
            try StoredVersions.read(db, chunk: deriveChunk) { try fold($0) }
        }
        try keep(field)
        try writeFields()
    }

    private var deriveChunk = 4096

    /// The fields noted in `preloaded` for a record whose `_deleted` state, if it has one, the
    /// batch holds: a preload that looked for no other field, or a derivation that folded them all.
    private static let deletionLoaded: Set<String> = [RecordSchema.deletedFieldName]

    /// Loads the kinds and field states `versions` will touch with two queries, instead of two
    /// queries per record and field as each is first met.
    mutating func preload(_ versions: some Sequence<Version>) throws {
        try preload(fields: versions.lazy.map { ($0.record, $0.field) })
    }

    /// Loads the kinds and the states of `fields` (record, field name) with two queries: one
    /// finds the records, the other their fields' states. Each names its keys as one JSON array
    /// read by `json_each`, so that every size of batch runs the same two cached statements
    /// and no key is boxed as a statement argument; a found record is named by its position
    /// in the array, so no id is parsed back from text.
    mutating func preload(fields touched: some Sequence<(RecordID, String)>) throws {
        var wanted: [RecordID: Set<String>] = [:]
        for (record, field) in touched where records[record] == nil && preloaded[record] == nil {
            // A deferred batch loads no field state: its records' kinds and row ids are all it needs.
            if defersFields {
                if wanted[record] == nil { wanted[record] = [] }
                continue
            }
            wanted[record, default: Self.deletionLoaded].insert(field)
        }
        guard !wanted.isEmpty else { return }
        let ids = Array(wanted.keys)
        var byRow: [Int64: RecordID] = [:]
        let found = try Row.fetchCursor(db.cachedStatement(sql: Self.recordsSQL), arguments: [Self.jsonArray(ids)])
        while let row = try found.next() {
            let record = ids[row[0] as Int]
            records[record] = RecordEntry(rowID: row[1], kind: row[2])
            byRow[row[1]] = record
        }
        if !byRow.isEmpty && !defersFields {
            let statement = try db.cachedStatement(sql: Self.fieldsSQL)
            let rows = try Row.fetchCursor(statement, arguments: ["[" + byRow.keys.map(String.init).joined(separator: ",") + "]"])
            while let row = try rows.next() {
                let name: String = row[1]
                guard let record = byRow[row[0]], wanted[record]?.contains(name) == true, let kind = records[record]?.kind else { continue }
                let key = FieldKey(record: record, field: name)
                guard fields[key] == nil else { continue }
                // `row` is the cursor's current row: its statement's columns are read in place.
                fields[key] = try storedEntry(kind: kind, DirectRow(handle: statement.sqliteStatement), offset: 2)
            }
        }
        for record in ids { preloaded[record] = wanted[record] }
    }

    /// The records named by a JSON array of ids: each one's position in the array, row id and kind.
    static let recordsSQL = "SELECT j.key, r.id, r.kind FROM json_each(?) j JOIN record r ON r.uuid = j.value"

    /// The field states of the records named by a JSON array of row ids.
    static let fieldsSQL = "SELECT f.record, f.name, f.joined, f.heads, f.conflict FROM json_each(?) j JOIN field f ON f.record = j.value"

    /// `ids` as a JSON array of their texts (which need no escaping), built as bytes.
    private static func jsonArray(_ ids: [RecordID]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 39 + 2)
        bytes.append(UInt8(ascii: "["))
        for (index, id) in ids.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            id.withText { bytes.append(contentsOf: $0) }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The highest counter held from `replica`.
    mutating func counter(of replica: ReplicaID) throws -> UInt64 {
        try replicaEntry(replica).counter
    }

    /// The context for a new local write of `field` of `record`: every version of it known here.
    mutating func fieldVector(record: RecordID, kind: String, field: String) throws -> VersionVector {
        let slot = try fieldSlot(FieldKey(record: record, field: field), kind: kind)
        return fields.values[slot].heads.fieldVector
    }

    /// The context for a delete: the join of every field's vector of the record, so that edits
    /// the deleter had not seen can be told apart (see ``DeleteConflict``).
    mutating func recordVector(record: RecordID, kind: String) throws -> VersionVector {
        var vector = VersionVector()
        let names = try recordEntry(record).map { entry in
            try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM field WHERE record = ?"), arguments: [entry.rowID])
        } ?? []
        let cached = fields.keys.filter { $0.record == record }.map(\.field)
        for name in Set(names + cached) {
            let slot = try fieldSlot(FieldKey(record: record, field: name), kind: kind)
            vector.merge(fields.values[slot].heads.fieldVector)
        }
        return vector
    }

    /// Adds one version; a duplicate of a held version is counted and ignored.
    /// `checked` says its maker built it from checked parts (a local write), so it is not checked again.
    mutating func integrate(_ incoming: Version, checked: Bool = false) throws {
        try integrate(PreparedVersions.Entry(incoming, schemas: schemas, maxValueBytes: maxValueBytes, checked: checked))
    }

    /// Adds prepared versions in order. Where they carry folded fields (see
    /// ``Store/prepareFoldingFields(_:)``), a field new to the store whose versions are all new
    /// takes its folded state whole; any other field folds its new versions one by one.
    mutating func integrate(_ prepared: PreparedVersions) throws {
        guard !prepared.fields.isEmpty, !defersFields else {
            for entry in prepared.entries { try integrate(entry) }
            return
        }
        var isNew = [Bool](repeating: false, count: prepared.entries.count)
        var allNew = [Bool](repeating: true, count: prepared.fields.count)
        for (index, entry) in prepared.entries.enumerated() {
            isNew[index] = try store(entry)
            if !isNew[index] { allNew[prepared.fieldOf[index]] = false }
        }
        // Each field at its first new version, so that `written` has the order integrating
        // version by version gives.
        var done = [Bool](repeating: false, count: prepared.fields.count)
        for index in prepared.entries.indices where isNew[index] && !done[prepared.fieldOf[index]] {
            let slot = prepared.fieldOf[index]
            done[slot] = true
            let fold = prepared.fields[slot]
            if allNew[slot] && fields[fold.key] == nil && preloaded[fold.key.record]?.contains(fold.key.field) == true {
                // The preload looked for this field and the store has no row of it.
                fields[fold.key] = fold.entry
                written.append(fold.key)
            } else {
                for member in fold.members where isNew[member] { try integrateField(prepared.entries[member]) }
            }
        }
    }

    /// Adds one prepared version (checked, with its stored text forms).
    mutating func integrate(_ prepared: PreparedVersions.Entry) throws {
        if try store(prepared) && !defersFields { try integrateField(prepared) }
    }

    /// Stores one prepared version (its row, its record, its feed entry) without folding it into
    /// its field; returns whether it is new (a duplicate of a held version is counted and ignored).
    private mutating func store(_ prepared: PreparedVersions.Entry) throws -> Bool {
        let version = prepared.version
        var replica = try replicaEntry(version.dot.replica)
        if version.dot.counter <= replica.counter {
            try checkDuplicate(version, replicaRow: replica.rowID)
            report.duplicates += 1
            return false
        }
        guard version.dot.counter == replica.counter + 1 else {
            throw StoreError.counterGap(replica: version.dot.replica, have: replica.counter, got: version.dot.counter)
        }
        let recordRow = try checkKind(record: version.record, kind: version.kind)
        try appendVersion(VersionRowInsert(
            replica: replica.rowID, counter: Int64(version.dot.counter), record: recordRow, kind: version.kind,
            field: version.field, context: try clockBlob(version.context), value: prepared.valueText,
            author: version.author, time: version.time
        ))
        if feeds { try appendToFeed(version.dot.counter, of: replica) }
        replica.counter = version.dot.counter
        replica.dirty = true
        replicas[version.dot.replica] = replica
        report.new += 1
        return true
    }

    /// Folds a stored new version into its field's state.
    private mutating func integrateField(_ prepared: PreparedVersions.Entry) throws {
        let version = prepared.version
        let key = FieldKey(record: version.record, field: version.field)
        // Changed in place: a copy taken out of the dictionary would copy the heads and vector on write.
        let slot = try fieldSlot(key, kind: version.kind)
        if Self.integrate(version, text: prepared.valueText, into: &fields.values[slot]) { written.append(key) }
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
        return report
    }

    /// Writes the merged states of the fields written so far, settles their records' deletion,
    /// and forgets them (what a later integrate needs is read again).
    private mutating func writeFields() throws {
        // Every held version and feed row goes in first: merging reads versions back (ancestors,
        // deletion), and this is the last write of every batch (``finish()``).
        try flushRows()
        defer {
            fields = [:]
            written = []
            records = [:]
            preloaded = [:]
        }
        let upsert = try db.cachedStatement(sql: Self.fieldUpsertSQL)
        var touched: [RecordID] = []
        var seen: Set<RecordID> = []
        for key in written {
            guard let entry = fields[key], let recordRow = records[key.record]?.rowID else { continue }
            if seen.insert(key.record).inserted { touched.append(key.record) }
            try writeField(key, entry, recordRow: recordRow, upsert)
        }
        for record in touched {
            try settleDeletion(of: record)
        }
    }

    /// Writes one field's merged state with `upsert` (``fieldUpsertSQL``'s statement), and notes
    /// what it did to its conflict. Every version the batch holds must be inserted first.
    mutating func writeField(_ key: FieldKey, _ entry: FieldEntry, recordRow: Int64, _ upsert: Statement) throws {
        guard let schema = schemas[entry.kind]?.field(key.field) else { return }
        let (value, conflict) = try mergedState(key, entry, schema)
        var row = DirectStatement(upsert)
        row.bind(recordRow)
        row.bind(key.field)
        row.bind(blob: try clockBlob(entry.heads.joined))
        row.bind(blob: try clockBlob(entry.heads.heads))
        row.bind(value)
        row.bind(conflict)
        try row.run()
        guard key.field != RecordSchema.deletedFieldName else { return }
        noteConflictChange(from: entry.oldConflict, to: conflict)
        if entry.heads.heads.count > 1 && conflict == nil { report.cleanMerges += 1 }
    }

    /// A field's value as stored and its conflict: a single head's stored text as it is, when
    /// the batch has it; otherwise its heads merged (with their common ancestor if the merge
    /// needs one) and encoded.
    private mutating func mergedState(_ key: FieldKey, _ entry: FieldEntry, _ schema: FieldSchema) throws -> (value: String, conflict: String?) {
        if let sole = entry.soleHead, entry.heads.heads.count == 1, entry.heads.heads[0] == sole.dot { return (sole.text, nil) }
        let heads = try entry.heads.heads.map { dot in
            try entry.newHeads.first { $0.dot == dot } ?? storedVersion(dot, replicaRow: replicaEntry(dot.replica).rowID)
        }
        let base = FieldMerge.needsBase(schema, heads: heads)
            ? try Store.ancestor(record: key.record, field: key.field, common: FieldHeads.commonContext(of: heads), names: &names, db)
            : nil
        let merged = FieldMerge.merge(record: key.record, field: schema, heads: heads, base: base)
        return (StoreCoding.encode(merged.value), merged.conflict?.rawValue)
    }

    private mutating func noteConflictChange(from old: String?, to new: String?) {
        guard old != new else { return }
        if let new, let id = ConflictID(new) { report.newConflicts.append(id) }
        if let old, let id = ConflictID(old) { report.closedConflicts.append(id) }
    }

    /// Decides whether a record with a `_deleted` field is deleted, in a delete-against-edit
    /// conflict (and so still shown), or alive, from its versions alone.
    mutating func settleDeletion(of record: RecordID) throws {
        let key = FieldKey(record: record, field: RecordSchema.deletedFieldName)
        // Preloaded without a `_deleted` field, and none written now: plainly alive.
        if preloaded[record] != nil && fields[key] == nil { return }
        guard let recordRow = records[record]?.rowID else { return }
        var select = try DirectStatement(db.cachedStatement(sql: Self.deletionSQL))
        select.bind(recordRow)
        select.bind(key.field)
        guard let (stored, value) = try select.firstRow({ row in (row.text(0), row.text(1)) }) else { return }
        let touched = fields[key]?.dirty == true
        // A record whose `_deleted` register is not true, and was not written now, is plainly alive.
        if !touched && stored == nil && value != "true" { return }
        let old = touched ? fields[key]?.oldConflict : stored
        let state = try Store.deletionState(record: record, names: &names, db)
        let conflict = state.conflict?.rawValue
        if conflict != stored {
            try db.cachedStatement(sql: "UPDATE field SET conflict = ? WHERE record = ? AND name = ?").execute(arguments: [conflict, recordRow, key.field])
        }
        try db.cachedStatement(sql: "UPDATE record SET deleted = ? WHERE id = ?").execute(arguments: [state.deleted, recordRow])
        noteConflictChange(from: old, to: conflict)
    }

    /// Writes one field's state (record row, name, joined, heads, value, conflict), new or not.
    static let fieldUpsertSQL = """
        INSERT INTO field (record, name, joined, heads, value, conflict) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (record, name) DO UPDATE SET
            joined = excluded.joined, heads = excluded.heads, value = excluded.value, conflict = excluded.conflict
        """
    /// A field's stored state, and a record's `_deleted` state. Each names one row of one table
    /// by its whole primary key, which SQLite plans by a shortcut that never weighs the partial
    /// index on cell numbers, so a bound name never makes it plan again (unlike the join of
    /// ``WriteLog/recordAndFieldSQL``; `QueryPlanTests` counts both).
    static let fieldStateSQL = "SELECT joined, heads, conflict FROM field WHERE record = ? AND name = ?"
    static let deletionSQL = "SELECT conflict, value FROM field WHERE record = ? AND name = ?"

    /// Holds a new version's row; when that inserts the held version rows, the held records
    /// go in first (a version's row names its record's, and SQLite checks that it exists).
    mutating func appendVersion(_ row: VersionRowInsert) throws {
        if versionRows.flushesOnNextAppend { try recordRows.flush(db) }
        try versionRows.append(row, db)
    }

    /// Inserts the held `record`, `version` and `feed` rows: before anything reads these tables back.
    mutating func flushRows() throws {
        try recordRows.flush(db)
        try versionRows.flush(db)
        try feedRows.flush(db)
    }

    private mutating func appendToFeed(_ counter: UInt64, of replica: ReplicaEntry) throws {
        let head = try feedHead ?? Store.feedHead(db)
        let next = head.advanced(replicaBytes: replica.bytes, counter: counter)
        try feedRows.append(FeedRowInsert(seq: Int64(next.seq), replica: replica.rowID, counter: Int64(counter),
                                          chain: Int64(bitPattern: next.chain)), db)
        feedHead = next
    }

    // MARK: - Loading

    /// `vector` as stored: its replicas by row id, in row order (a replica first named here gets a row).
    mutating func clockBlob(_ vector: VersionVector) throws -> [UInt8] {
        var pairs = clockPairs
        clockPairs = []
        defer { clockPairs = pairs }
        pairs.removeAll(keepingCapacity: true)
        for entry in vector.entries { pairs.append((try replicaEntry(entry.replica).rowID, entry.counter)) }
        if pairs.count > 1 { pairs.sort { $0.row < $1.row } }
        return ClockBlob.encode(pairs)
    }

    /// `dots` as stored, in their order.
    private mutating func clockBlob(_ dots: [Dot]) throws -> [UInt8] {
        ClockBlob.encode(try dots.map { (try replicaEntry($0.replica).rowID, $0.counter) })
    }

    mutating func replicaEntry(_ replica: ReplicaID) throws -> ReplicaEntry {
        if let entry = replicas[replica] { return entry }
        let entry: ReplicaEntry
        var select = try DirectStatement(db.cachedStatement(sql: "SELECT id, counter FROM replica WHERE uuid = ?"))
        select.bind(replica)
        if let (rowID, counter) = try select.firstRow({ row in (row.int64(0), row.int64(1)) }) {
            entry = ReplicaEntry(rowID: rowID, counter: UInt64(counter), bytes: replica.bytes)
        } else {
            try db.cachedStatement(sql: "INSERT INTO replica (uuid, counter) VALUES (?, 0)").execute(arguments: [replica.rawValue])
            entry = ReplicaEntry(rowID: db.lastInsertedRowID, counter: 0, bytes: replica.bytes)
        }
        replicas[replica] = entry
        names.note(row: entry.rowID, id: replica)
        return entry
    }

    /// The record's row id, after checking it is of `kind`; a record not held yet is added.
    mutating func checkKind(record: RecordID, kind: String) throws -> Int64 {
        if let known = try recordEntry(record) {
            guard known.kind == kind else { throw StoreError.kindMismatch(record: record, known: known.kind, got: kind) }
            return known.rowID
        }
        let entry = RecordEntry(rowID: try newRecordRow(), kind: kind)
        try recordRows.append(RecordRowInsert(id: entry.rowID, uuid: record, kind: kind), db)
        records[record] = entry
        return entry.rowID
    }

    /// The row id of the batch's next new record: the largest in the table plus one, as SQLite
    /// itself would give, so that a new record's row can wait in ``recordRows`` (the batch
    /// holds its entry, so nothing looks it up in the table meanwhile).
    private mutating func newRecordRow() throws -> Int64 {
        if nextRecordRow == nil {
            let select = try DirectStatement(db.cachedStatement(sql: "SELECT max(id) FROM record"))
            let largest = try select.firstRow { $0.int64(0) } ?? 0
            guard largest < Int64.max else {
                throw StoreError.writeFailed(reason: "the record table's row ids are used up; run PRAGMA integrity_check")
            }
            nextRecordRow = largest + 1
        }
        defer { nextRecordRow! += 1 }
        return nextRecordRow!
    }

    /// The record's row id and kind, or nil if the store does not hold it.
    mutating func recordEntry(_ record: RecordID) throws -> RecordEntry? {
        if let known = records[record] { return known }
        // What the preload did not find does not exist.
        guard preloaded[record] == nil else { return nil }
        var select = try DirectStatement(db.cachedStatement(sql: "SELECT id, kind FROM record WHERE uuid = ?"))
        select.bind(record)
        guard let entry = try select.firstRow({ row in RecordEntry(rowID: row.int64(0), kind: row.text(1) ?? "") }) else { return nil }
        records[record] = entry
        return entry
    }

    /// Folds `version`, whose value is stored as `text` when the caller has it, into a field's
    /// state; returns whether this is the batch's first write of it.
    static func integrate(_ version: Version, text: String?, into entry: inout FieldEntry) -> Bool {
        let isHead = entry.heads.integrate(dot: version.dot, context: version.context)
        if !entry.newHeads.isEmpty { entry.newHeads.removeAll { version.context.covers($0.dot) } }
        if isHead {
            entry.newHeads.append(version)
            entry.soleHead = text.map { (version.dot, $0) }
        }
        defer { entry.dirty = true }
        return !entry.dirty
    }

    /// Where the batch holds the field's state, loading it (or starting it, for a field the store
    /// lacks) first. One hash of the key when it is held (the usual case after a preload), and
    /// no copy of the state: callers read and change it in place through `fields.values[slot]`.
    private mutating func fieldSlot(_ key: FieldKey, kind: String) throws -> Dictionary<FieldKey, FieldEntry>.Index {
        if let slot = fields.index(forKey: key) { return slot }
        fields[key] = try loadField(key, kind: kind)
        return fields.index(forKey: key)!
    }

    /// The field's state, taken out of the batch if it holds it, else loaded (or started, for a
    /// field the store lacks): for a caller that writes the field itself (see
    /// ``writeField(_:_:recordRow:_:)``) and no later integrate of this batch touches it.
    mutating func takeField(_ key: FieldKey, kind: String) throws -> FieldEntry {
        try fields.removeValue(forKey: key) ?? loadField(key, kind: kind)
    }

    /// The field's stored state, or a new one for a field the store lacks; a query unless a
    /// preload looked for it.
    private mutating func loadField(_ key: FieldKey, kind: String) throws -> FieldEntry {
        if preloaded[key.record]?.contains(key.field) != true, let recordRow = try recordEntry(key.record)?.rowID {
            var select = try DirectStatement(db.cachedStatement(sql: Self.fieldStateSQL))
            select.bind(recordRow)
            select.bind(key.field)
            if let stored = try select.firstRow({ row in try storedEntry(kind: kind, row, offset: 0) }) { return stored }
        }
        return FieldEntry(kind: kind)
    }

    private mutating func checkDuplicate(_ version: Version, replicaRow: Int64) throws {
        if try storedVersion(version.dot, replicaRow: replicaRow) != version { throw StoreError.dotReused(version.dot) }
    }

    /// The stored version at `dot`, whose replica is row `replicaRow`: found by the version
    /// table's own key, without a join to the replica table.
    private mutating func storedVersion(_ dot: Dot, replicaRow: Int64) throws -> Version {
        try flushRows()
        let statement = try db.cachedStatement(sql: "SELECT \(VersionRow.columns) FROM \(VersionRow.tables) WHERE v.replica = ? AND v.counter = ?")
        guard let row = try Row.fetchOne(statement, arguments: [replicaRow, Int64(dot.counter)]) else {
            throw StoreError.damaged("version \(dot) is counted but missing")
        }
        return try VersionRow.decode(row, replica: dot.replica, offset: 0, names: &names, db)
    }
}
