import GRDB
public import SyncModel

extension Store {
    /// Every live record of `kinds` and the version vector they were read at, in one read: the
    /// causal state an export carries, so that an import knows what the file was taken from.
    public func snapshot(kinds: [String]) throws -> (records: [String: [RecordSnapshot]], state: VersionVector) {
        try read { db in
            var records: [String: [RecordSnapshot]] = [:]
            for kind in kinds {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT r.uuid, r.kind, r.deleted, f.name, f.value, f.conflict, f.heads
                    FROM record r LEFT JOIN field f ON f.record = r.id
                    WHERE r.kind = ? AND r.deleted = 0
                    ORDER BY r.uuid, f.name
                    """, arguments: [kind])
                records[kind] = try Self.snapshots(rows)
            }
            return (records, try Self.versionVector(db))
        }
    }

    /// Each field of `record` as it stood at `state` (see ``FieldAsOf``); fields the state held
    /// no version of are absent. Its `_deleted` field says whether it was deleted then.
    public func fields(of record: RecordID, asOf state: VersionVector) throws -> [String: FieldAsOf] {
        let versions = try history(record: record)
        guard let kind = versions.first?.kind, let schema = schemas[kind] else { return [:] }
        var result: [String: FieldAsOf] = [:]
        for (name, fieldVersions) in Dictionary(grouping: versions, by: \.field) {
            guard let field = schema.field(name), let asOf = FieldAsOf.at(state, record: record, field: field, versions: fieldVersions) else { continue }
            result[name] = asOf
        }
        return result
    }
}
