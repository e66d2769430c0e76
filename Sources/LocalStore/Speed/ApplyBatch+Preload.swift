// Speed machinery: a batch's records and field states read in a few queries, not one per version.
import GRDB
import SyncModel

/// Reading the records and field states a batch will touch, in a few queries.
extension ApplyBatch {
    /// The fields noted in `preloaded` for a record whose `_deleted` state, if it has one, the
    /// batch holds: a preload that looked for no other field, or a derivation that folded them all.
    static let deletionLoaded: Set<String> = [RecordSchema.deletedFieldName]

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
    static func jsonArray(_ ids: [RecordID]) -> String {
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
}
