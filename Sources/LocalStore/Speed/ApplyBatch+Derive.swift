// Speed machinery: a first sync's field states derived once, after its last page.
import GRDB
import SyncModel

/// Deriving field states a first sync left underived, from the stored versions.
extension ApplyBatch {
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
    mutating func deriveFields() throws {
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
}
