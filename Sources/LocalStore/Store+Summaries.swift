import GRDB
public import SyncModel

extension Store {
    /// Every live record of `kind` with only the fields named, and the open conflicts of all its
    /// fields: what lists and summaries show (a signal's title, date, direction and cells),
    /// without reading what they do not (its body).
    ///
    /// A field row holds its value before its conflict column, so reading any column of a row
    /// with a large value walks the value's overflow pages: a dashboard over signals with 1 MB
    /// bodies took 1.6 s. Here the named fields are sought by primary key, and conflicts come from
    /// the conflict index, which covers them; a field in conflict that was not named appears
    /// with its conflict and its empty value (see ``RecordSnapshot/conflicts``), so marks of
    /// conflicts stay whole.
    public func records(kind: String, fields: [String]) throws -> [RecordSnapshot] {
        try read { db in
            let marks = Array(repeating: "?", count: fields.count).joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.uuid, r.kind, r.deleted, f.name, f.value, f.conflict, f.heads
                FROM record r LEFT JOIN field f ON f.record = r.id AND f.name IN (\(fields.isEmpty ? "NULL" : marks))
                WHERE r.kind = ? AND r.deleted = 0
                ORDER BY r.uuid, f.name
                """, arguments: StatementArguments(fields + [kind]))
            var records = try Self.snapshots(rows)
            let conflicts = try Row.fetchAll(db, sql: """
                SELECT r.uuid, f.name, f.conflict FROM field f INDEXED BY field_by_conflict CROSS JOIN record r ON r.id = f.record
                WHERE f.conflict IS NOT NULL AND r.kind = ? AND r.deleted = 0
                """, arguments: [kind])
            guard !conflicts.isEmpty else { return records }
            let index = Dictionary(uniqueKeysWithValues: records.enumerated().map { ($1.id, $0) })
            let schema = schemas[kind]
            for row in conflicts {
                guard let id = RecordID(row[0] as String), let position = index[id], let conflict = ConflictID(row[2] as String) else { continue }
                let name: String = row[1]
                if records[position].fields[name] == nil {
                    records[position].fields[name] = FieldSnapshot(value: schema?.field(name)?.emptyValue ?? .null, conflict: conflict, headCount: 2)
                }
            }
            return records
        }
    }
}
