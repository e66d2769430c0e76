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

extension Store {
    /// Every record of `kind` as it stood at `time` (milliseconds since 1970, as versions carry
    /// it): built from the versions written by then, merged as a replica holding only those
    /// would show them. Deleted ones only when asked. Wall clocks decide only what is shown here.
    public func records(kind: String, asOf time: Int64, includeDeleted: Bool = false) throws -> [RecordSnapshot] {
        let versions = try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.uuid, \(VersionRow.columns)
                FROM \(VersionRow.tables) JOIN replica r ON r.id = v.replica
                WHERE rec.kind = ? AND v.time <= ?
                """, arguments: [kind, time])
            var names = ReplicaNames()
            return try rows.map { try VersionRow.decode($0, replica: ReplicaID($0[0] as String)!, offset: 1, names: &names, db) }
        }
        return Self.snapshots(of: versions, includeDeleted: includeDeleted, schemas: schemas)
    }

    /// The record as it stood at `time` (see ``records(kind:asOf:includeDeleted:)``); nil if it
    /// had no version by then.
    public func record(_ id: RecordID, asOf time: Int64) throws -> RecordSnapshot? {
        Self.snapshots(of: try history(record: id).filter { $0.time <= time }, includeDeleted: true, schemas: schemas).first
    }

    static func snapshots(of versions: [Version], includeDeleted: Bool, schemas: SchemaRegistry) -> [RecordSnapshot] {
        var snapshots: [RecordSnapshot] = []
        for (record, recordVersions) in Dictionary(grouping: versions, by: \.record) {
            guard let kind = recordVersions.first?.kind, let schema = schemas[kind] else { continue }
            var fields: [String: FieldSnapshot] = [:]
            for (name, fieldVersions) in Dictionary(grouping: recordVersions, by: \.field) {
                guard let field = schema.field(name), let asOf = FieldAsOf.of(fieldVersions, record: record, field: field) else { continue }
                fields[name] = FieldSnapshot(value: asOf.value, conflict: asOf.conflict, headCount: asOf.headCount)
            }
            let deleted = fields[RecordSchema.deletedFieldName].map { $0.value == .bool(true) && $0.conflict == nil } ?? false
            if deleted && !includeDeleted { continue }
            fields[RecordSchema.deletedFieldName] = nil
            snapshots.append(RecordSnapshot(id: record, kind: kind, deleted: deleted, fields: fields))
        }
        return snapshots.sorted { $0.id < $1.id }
    }

    /// The version of `record` whose dot is written `text` (`replica:counter`, the replica by a
    /// prefix of 4 or more characters), if exactly one.
    public func version(matching text: String) throws -> Version? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count >= 4, let counter = UInt64(parts[1]) else { return nil }
        let replicas = try read { db in
            try String.fetchAll(db, sql: "SELECT uuid FROM replica WHERE uuid >= ? AND uuid < ?",
                                arguments: [parts[0].lowercased(), parts[0].lowercased() + "\u{7F}"]).compactMap(ReplicaID.init)
        }
        guard replicas.count == 1 else { return nil }
        return try read { db in
            var names = ReplicaNames()
            return try? Self.version(Dot(replica: replicas[0], counter: counter), names: &names, db)
        }
    }
}
