import GRDB
import SyncModel
import SyncProtocol

/// Field states: loading them, merging their heads and writing them, and settling deletions.
extension ApplyBatch {
    /// Writes the merged states of the fields written so far, settles their records' deletion,
    /// and forgets them (what a later integrate needs is read again).
    mutating func writeFields() throws {
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
    mutating func mergedState(_ key: FieldKey, _ entry: FieldEntry, _ schema: FieldSchema) throws -> (value: String, conflict: String?) {
        if let sole = entry.soleHead, entry.heads.heads.count == 1, entry.heads.heads[0] == sole.dot { return (sole.text, nil) }
        let heads = try entry.heads.heads.map { dot in
            guard let head = try entry.newHeads.first(where: { $0.dot == dot }) ?? storedVersion(dot, replicaRow: replicaEntry(dot.replica).rowID) else {
                throw StoreError.damaged("version \(dot) is a head of \(key.record) \(key.field) but missing")
            }
            return head
        }
        try checkHistory(key, heads: heads)
        let base = FieldMerge.needsBase(schema, heads: heads)
            ? try Store.ancestor(record: key.record, field: key.field, common: FieldHeads.commonContext(of: heads), names: &names, db)
            : nil
        let merged = FieldMerge.merge(record: key.record, field: schema, heads: heads, base: base)
        return (StoreCoding.encode(merged.value), merged.conflict?.rawValue)
    }

    mutating func noteConflictChange(from old: String?, to new: String?) {
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

    /// Where the batch holds the field's state, loading it (or starting it, for a field the store
    /// lacks) first. One hash of the key when it is held (the usual case after a preload), and
    /// no copy of the state: callers read and change it in place through `fields.values[slot]`.
    mutating func fieldSlot(_ key: FieldKey, kind: String) throws -> Dictionary<FieldKey, FieldEntry>.Index {
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
    mutating func loadField(_ key: FieldKey, kind: String) throws -> FieldEntry {
        if preloaded[key.record]?.contains(key.field) != true, let recordRow = try recordEntry(key.record)?.rowID {
            var select = try DirectStatement(db.cachedStatement(sql: Self.fieldStateSQL))
            select.bind(recordRow)
            select.bind(key.field)
            if let stored = try select.firstRow({ row in try storedEntry(kind: kind, row, offset: 0) }) { return stored }
        }
        return FieldEntry(kind: kind)
    }

    /// The stored version at `dot`, whose replica is row `replicaRow`: found by the version
    /// table's own key, without a join to the replica table.
    /// The version held at `dot`, or nil for a counter this replica skipped: a version the
    /// server left out (its record in a compartment the analyst was not cleared for) or a
    /// write set aside when a clearance went.
    mutating func storedVersion(_ dot: Dot, replicaRow: Int64) throws -> Version? {
        try flushRows()
        let statement = try db.cachedStatement(sql: "SELECT \(VersionRow.columns) FROM \(VersionRow.tables) WHERE v.replica = ? AND v.counter = ?")
        guard let row = try Row.fetchOne(statement, arguments: [replicaRow, Int64(dot.counter)]) else { return nil }
        return try VersionRow.decode(row, replica: dot.replica, offset: 0, names: &names, db)
    }
}
