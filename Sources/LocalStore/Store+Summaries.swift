import GRDB
import SyncModel

extension Store {
    /// Every live record of `kind`, ordered by id, with only the fields named, and the open
    /// conflicts of all its fields: what lists and summaries show (a signal's title, date,
    /// direction and cells), without reading what they do not (its body).
    ///
    /// The field table keeps each row whole in its primary-key b-tree, and SQLite compares a
    /// seek's key against a row that overflows its page by reading the row whole: seeking a
    /// signal's title next to its 100 KB body read the body. So the named fields come from one
    /// pass over the table (stepping from row to row compares nothing, and a row's name lies
    /// on its own page), 1,000 signals with 100 KB bodies in a millisecond instead of 270; and
    /// conflicts come from the conflict index, which covers them. A field in conflict that was
    /// not named appears with its conflict and its empty value, so marks of conflicts stay whole.
    public func records(kind: String, fields: [String]) throws -> [RecordSnapshot] {
        try read { db in
            var records: [RecordSnapshot] = []
            var position: [Int64: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, uuid FROM record WHERE kind = ? AND deleted = 0 ORDER BY uuid", arguments: [kind]) {
                guard let id = RecordID(row[1] as String) else { continue }
                position[row[0]] = records.count
                records.append(RecordSnapshot(id: id, kind: kind, deleted: false, fields: [:]))
            }
            guard !records.isEmpty else { return [] }
            if !fields.isEmpty {
                let marks = Array(repeating: "?", count: fields.count).joined(separator: ", ")
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT f.record, f.name, f.value, f.conflict, f.heads FROM field f NOT INDEXED
                    WHERE f.name IN (\(marks))
                    """, arguments: StatementArguments(fields))
                while let row = try rows.next() {
                    guard let index = position[row[0]] else { continue }
                    let heads = try row.withUnsafeData(atIndex: 4) { try ClockBlob.count($0) }
                    records[index].fields[row[1]] = FieldSnapshot(value: try StoreCoding.decodeValue(row[2]),
                                                                  conflict: (row[3] as String?).flatMap(ConflictID.init), headCount: heads)
                }
            }
            let schema = schemas[kind]
            for row in try Row.fetchAll(db, sql: "SELECT record, name, conflict FROM field INDEXED BY field_by_conflict WHERE conflict IS NOT NULL") {
                guard let index = position[row[0]], let conflict = ConflictID(row[2] as String) else { continue }
                let name: String = row[1]
                if records[index].fields[name] == nil {
                    records[index].fields[name] = FieldSnapshot(value: schema?.field(name)?.emptyValue ?? .null, conflict: conflict, headCount: 2)
                }
            }
            return records
        }
    }
}
