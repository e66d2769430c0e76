import GRDB
public import SyncModel

extension Store {
    /// Every live record of `kinds` and the version vector they were read at, in one read: the
    /// causal state an export carries, so that an import knows what the file was taken from.
    public func snapshot(kinds: [String]) throws -> (records: [String: [RecordSnapshot]], state: VersionVector) {
        try read { db in
            var records: [String: [RecordSnapshot]] = [:]
            for kind in kinds { records[kind] = try Self.records(kind: kind, includeDeleted: false, db) }
            return (records, try VersionTable.versionVector(db))
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
    /// When the oldest version this replica holds was written (milliseconds since 1970), or nil
    /// when it holds none: where its history, and so every `--as-of` view, starts. It reads
    /// every version's time, so callers ask only when a view came out empty.
    public func historyStart() throws -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT min(time) FROM version") }
    }

    /// Every record of `kind` as it stood at `time` (milliseconds since 1970, as versions carry
    /// it): each field merged from its heads then, as a replica holding only the versions
    /// written by then would show it. Deleted ones only when asked. Wall clocks decide only what
    /// is shown here.
    ///
    /// A field's heads at a moment are among the latest version each replica had written of it
    /// by then (a replica's later write of a field covers its earlier ones), so each field costs
    /// an index seek per replica that wrote it, however long its history.
    public func records(kind: String, asOf time: Int64, includeDeleted: Bool = false) throws -> [RecordSnapshot] {
        try read { db in
            var names = ReplicaNames()
            let records = try Row.fetchAll(db, sql: "SELECT id, uuid FROM record WHERE kind = ? ORDER BY uuid", arguments: [kind])
            return try records.compactMap { row in
                try record(row: row[0], id: RecordID(row[1] as String)!, kind: kind, asOf: time, includeDeleted: includeDeleted, names: &names, db)
            }
        }
    }

    /// The record as it stood at `time` (see ``records(kind:asOf:includeDeleted:)``); nil if it
    /// had no version by then.
    public func record(_ id: RecordID, asOf time: Int64) throws -> RecordSnapshot? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, kind FROM record WHERE uuid = ?", arguments: [id.rawValue]) else { return nil }
            var names = ReplicaNames()
            return try record(row: row[0], id: id, kind: row[1], asOf: time, includeDeleted: true, names: &names, db)
        }
    }

    /// A version by its key.
    static let versionByKeySQL = "SELECT \(VersionRow.columns) FROM \(VersionRow.tables) WHERE v.replica = ? AND v.counter = ?"

    /// A replica's last version of a field at or below a counter: its counter and time.
    static let probeSQL = """
        SELECT counter, time FROM version INDEXED BY version_by_field
        WHERE record = ? AND field = ? AND replica = ? AND counter > ? AND counter <= ? ORDER BY counter DESC LIMIT 1
        """

    /// The highest counter of `replica`'s versions of the field between `above` and `below`
    /// (exclusive) written by `time`: a binary search over counters, a seek per step, as a
    /// replica's clock runs forward with its counter (where it jumped back, the moment is
    /// approximate; it decides only what a view shows).
    static func latestCounter(_ record: Int64, _ field: String, _ replica: Int64, above: Int64, below: Int64, by time: Int64,
                              _ probe: Statement) throws -> Int64? {
        func last(atMost counter: Int64) throws -> (counter: Int64, time: Int64)? {
            try Row.fetchOne(probe, arguments: [record, field, replica, above, counter]).map { ($0[0], $0[1]) }
        }
        guard var high = try last(atMost: below == .max ? .max : below - 1) else { return nil }
        if high.time <= time { return high.counter }
        var low = above, best: Int64?
        // Invariant: every version above `high.counter` was written after `time`.
        while low < high.counter - 1 {
            let middle = low + (high.counter - low) / 2
            guard let found = try last(atMost: middle) else { low = middle; continue }
            if found.time <= time {
                best = found.counter
                low = middle
            } else {
                high = found
            }
        }
        return best
    }

    /// The replicas that wrote a field after `after` (a row id), one index seek each.
    static let nextWriterSQL = "SELECT replica FROM version WHERE record = ? AND field = ? AND replica > ? ORDER BY replica LIMIT 1"

    func record(row: Int64, id: RecordID, kind: String, asOf time: Int64, includeDeleted: Bool,
                       names: inout ReplicaNames, _ db: Database) throws -> RecordSnapshot? {
        guard let schema = schemas[kind] else { return nil }
        let byKey = try db.cachedStatement(sql: Self.versionByKeySQL), nextWriter = try db.cachedStatement(sql: Self.nextWriterSQL)
        let probe = try db.cachedStatement(sql: Self.probeSQL)
        let replicaUUID = try db.cachedStatement(sql: "SELECT uuid FROM replica WHERE id = ?")
        var fields: [String: FieldSnapshot] = [:]
        for name in try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM field WHERE record = ?"), arguments: [row]) {
            guard let field = schema.field(name) else { continue }
            var candidates: [Version] = []
            var writer: Int64 = -1
            while let next = try Int64.fetchOne(nextWriter, arguments: [row, name, writer]) {
                writer = next
                guard let uuid = try String.fetchOne(replicaUUID, arguments: [writer]).flatMap(ReplicaID.init) else { continue }
                // The replica's latest version by then; and, below it, any its later versions'
                // contexts do not cover (an edit based on an older state, as an import makes).
                var below = Int64.max, covered: Int64 = 0
                while let counter = try Self.latestCounter(row, name, writer, above: covered, below: below, by: time, probe),
                      let found = try Row.fetchOne(byKey, arguments: [writer, counter]) {
                    let version = try VersionRow.decode(found, replica: uuid, offset: 0, names: &names, db)
                    candidates.append(version)
                    below = counter
                    covered = max(covered, Int64(version.context[uuid]))
                }
            }
            guard !candidates.isEmpty else { continue }
            let heads = candidates.filter { version in !candidates.contains { $0.dot != version.dot && $0.supersedes(version) } }
            var vector = VersionVector()
            for version in candidates {
                vector.merge(version.context)
                vector.add(version.dot)
            }
            let base = FieldMerge.needsBase(field, heads: heads)
                ? try Self.ancestor(record: id, field: name, common: FieldHeads.commonContext(of: heads), names: &names, db) : nil
            let asOf = FieldAsOf.merged(heads: heads, base: base, vector: vector, record: id, field: field)
            fields[name] = FieldSnapshot(value: asOf.value, conflict: asOf.conflict, headCount: asOf.headCount)
        }
        guard !fields.isEmpty else { return nil }
        let deleted = fields[RecordSchema.deletedFieldName].map { $0.value == .bool(true) && $0.conflict == nil } ?? false
        if deleted && !includeDeleted { return nil }
        fields[RecordSchema.deletedFieldName] = nil
        return RecordSnapshot(id: id, kind: kind, deleted: deleted, fields: fields)
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
