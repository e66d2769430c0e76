import GRDB
public import SyncModel

extension Store {
    /// Every record of `kind`, ordered by id; deleted ones only when asked.
    public func records(kind: String, includeDeleted: Bool = false) throws -> [RecordSnapshot] {
        try read { db in try Self.records(kind: kind, includeDeleted: includeDeleted, db) }
    }

    static func records(kind: String, includeDeleted: Bool, _ db: Database) throws -> [RecordSnapshot] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT r.uuid, r.kind, r.deleted, f.name, f.value, f.conflict, f.heads
            FROM record r LEFT JOIN field f ON f.record = r.id
            WHERE r.kind = ? \(includeDeleted ? "" : "AND r.deleted = 0")
            ORDER BY r.uuid, f.name
            """, arguments: [kind])
        return try snapshots(rows)
    }

    /// The record with this id, deleted or not.
    public func record(_ id: RecordID) throws -> RecordSnapshot? {
        try read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.uuid, r.kind, r.deleted, f.name, f.value, f.conflict, f.heads
                FROM record r LEFT JOIN field f ON f.record = r.id
                WHERE r.uuid = ? ORDER BY f.name
                """), arguments: [id.rawValue])
            return try Self.snapshots(rows).first
        }
    }

    static func snapshots(_ rows: [Row]) throws -> [RecordSnapshot] {
        var result: [RecordSnapshot] = []
        for row in rows {
            guard let id = RecordID(row[0] as String) else { continue }
            if result.last?.id != id {
                result.append(RecordSnapshot(id: id, kind: row[1], deleted: row[2], fields: [:]))
            }
            if let name = row[3] as String? {
                let conflict = (row[5] as String?).flatMap(ConflictID.init)
                let heads = try row.withUnsafeData(atIndex: 6) { try ClockBlob.count($0) }
                result[result.count - 1].fields[name] = FieldSnapshot(value: try StoreCoding.decodeValue(row[4]), conflict: conflict, headCount: heads)
            }
        }
        return result
    }

    /// Every cell that has a number, with it and whether the cell is deleted: read through the
    /// index on numbers, so it costs the numbered cells, not the store's size.
    public func cellNumbers() throws -> [(id: RecordID, number: Int64, deleted: Bool)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.uuid, f.value, r.deleted FROM field f CROSS JOIN record r ON r.id = f.record
                WHERE f.name = 'number' AND r.kind = 'cell' AND f.value != 'null'
                """).compactMap { row in
                    guard let id = RecordID(row[0] as String), let number = Int64(row[1] as String) else { return nil }
                    return (id, number, row[2] as Bool)
                }
        }
    }

    /// The cells whose `number` field holds `number` (an index lookup, whatever the store's size).
    public func cellIDs(number: Int64, includeDeleted: Bool = false) throws -> [RecordID] {
        try read { db in
            try String.fetchAll(db.cachedStatement(sql: Self.cellIDsSQL(includeDeleted: includeDeleted)),
                                arguments: [StoreCoding.encode(FieldValue.int(number))]).compactMap(RecordID.init)
        }
    }

    /// `CROSS JOIN` keeps the field index first: without statistics SQLite would rather walk
    /// every cell by kind and probe the index for each.
    static func cellIDsSQL(includeDeleted: Bool) -> String {
        """
        SELECT r.uuid FROM field f CROSS JOIN record r ON r.id = f.record
        WHERE f.name = 'number' AND f.value = ? AND r.kind = 'cell' \(includeDeleted ? "" : "AND r.deleted = 0")
        ORDER BY r.uuid
        """
    }

    /// Record ids whose id starts with `prefix` (at least 4 characters), of `kind` if given.
    public func recordIDs(prefix: String, kind: String?) throws -> [RecordID] {
        let lowered = prefix.lowercased()
        guard lowered.count >= 4, lowered.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { return [] }
        return try read { db in
            try String.fetchAll(db, sql: "SELECT uuid FROM record WHERE uuid >= ? AND uuid < ? \(kind == nil ? "" : "AND kind = ?") ORDER BY uuid",
                                arguments: StatementArguments([lowered, lowered + "\u{7F}"] + (kind.map { [$0] } ?? [])))
                .compactMap(RecordID.init)
        }
    }

    /// Every open conflict with its heads and base, ordered by id: conflicts on fields, and
    /// live cells that share a number (see ``numberConflicts(_:names:)``).
    public func conflicts() throws -> [Conflict] {
        try read { db in
            var names = ReplicaNames()
            return try (fieldConflicts(db, names: &names) + Self.numberConflicts(db, names: &names)).sorted { $0.id < $1.id }
        }
    }

    /// The conflicts of live cells that share a number (see ``numberConflicts(_:names:)``).
    public func numberConflicts() throws -> [Conflict] {
        try read { db in
            var names = ReplicaNames()
            return try Self.numberConflicts(db, names: &names).sorted { $0.id < $1.id }
        }
    }

    /// Live cells that share a number: after two analysts each gave a new cell the same number
    /// offline, neither answers to it alone. The conflict is derived from the cells' number
    /// heads (its id hashes the first cell's id and every head dot), so every replica holding
    /// the same versions lists the same conflict; renumbering or deleting a cell settles it.
    static func numberConflicts(_ db: Database, names: inout ReplicaNames) throws -> [Conflict] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT f.value, r.uuid, f.heads FROM field f CROSS JOIN record r ON r.id = f.record
            WHERE f.name = 'number' AND r.kind = 'cell' AND r.deleted = 0 AND f.value IN (
                SELECT value FROM field WHERE name = 'number' AND value != 'null' GROUP BY value HAVING count(*) > 1)
            ORDER BY f.value, r.uuid
            """))
        var conflicts: [Conflict] = []
        // The numbers shared are found on the number index alone (every sync request asks);
        // a number shared only with deleted cells leaves a group of one, which is no conflict.
        for group in Dictionary(grouping: rows, by: { $0[0] as String }).values where group.count > 1 {
            let cells = group.map { RecordID($0[1] as String)! }.sorted()
            var heads: [Version] = []
            for row in group { heads += try names.dots(row, 2, db).map { try Self.version($0, names: &names, db) } }
            heads.sort { $0.dot < $1.dot }
            conflicts.append(Conflict(id: ConflictID(record: cells[0], field: "number", heads: heads.map(\.dot)), record: cells[0], kind: "cell",
                                      field: "number", heads: heads, base: nil, provisional: try StoreCoding.decodeValue(group[0][0])))
        }
        return conflicts
    }

    func fieldConflicts(_ db: Database, names: inout ReplicaNames) throws -> [Conflict] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT r.uuid, f.name, f.heads, f.conflict, f.value, r.kind FROM field f JOIN record r ON r.id = f.record
            WHERE f.conflict IS NOT NULL ORDER BY f.conflict
            """))
        return try rows.map { row in
            let record = RecordID(row[0] as String)!
            if (row[1] as String) == RecordSchema.deletedFieldName {
                let state = try Self.deletionState(record: record, names: &names, db)
                return Conflict(id: ConflictID(row[3] as String)!, record: record, kind: row[5], field: row[1],
                                heads: try state.heads.sorted().map { try Self.version($0, names: &names, db) }, base: nil, provisional: .bool(false))
            }
            let heads = try names.dots(row, 2, db).map { try Self.version($0, names: &names, db) }
            let common = FieldHeads.commonContext(of: heads)
            let base = try Self.ancestor(record: record, field: row[1], common: common, names: &names, db)
            return Conflict(id: ConflictID(row[3] as String)!, record: record, kind: row[5], field: row[1],
                            heads: heads, base: base, provisional: try StoreCoding.decodeValue(row[4]))
        }
    }

    /// The open conflict whose id is or starts with `text` (4 characters at least, as for record ids).
    public func conflict(_ text: String) throws -> Conflict {
        guard text.count >= 4 else { throw StoreError.idTooShort(text) }
        let matches = try conflicts().filter { $0.id.rawValue.hasPrefix(text.lowercased()) }
        guard !text.isEmpty, let first = matches.first else { throw StoreError.conflictNotFound(text) }
        if matches.count > 1 { throw StoreError.ambiguous("conflict '\(text)'", candidates: matches.map(\.id.rawValue)) }
        return first
    }

    /// Every version of `record` (of `field` if given), newest first by dot order per replica;
    /// the first `limit` of them when given.
    public func history(record: RecordID, field: String? = nil, limit: Int? = nil) throws -> [Version] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.uuid, \(VersionRow.columns)
                FROM \(VersionRow.tables) JOIN replica r ON r.id = v.replica
                WHERE rec.uuid = ? \(field == nil ? "" : "AND v.field = ?")
                ORDER BY v.time DESC, r.uuid, v.counter DESC
                \(limit == nil ? "" : "LIMIT \(max(0, limit!))")
                """, arguments: StatementArguments([record.rawValue] + (field.map { [$0] } ?? [])))
            var names = ReplicaNames()
            return try rows.map { try VersionRow.decode($0, replica: ReplicaID($0[0] as String)!, offset: 1, names: &names, db) }
        }
    }

    /// Whether a record is deleted and any conflict on its `_deleted` field: a register conflict
    /// (delete against keep) or a delete against edits nobody deleting had seen. Loads only the
    /// `_deleted` heads; other fields are judged by their head dots.
    static func deletionState(record: RecordID, names: inout ReplicaNames, _ db: Database) throws -> (deleted: Bool, conflict: ConflictID?, heads: [Dot]) {
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT name, heads FROM field WHERE record = \(rowIDOfRecord)"), arguments: [record.rawValue])
        var deletes: [Version] = []
        var others: [Dot] = []
        for row in rows {
            let heads = try names.dots(row, 1, db)
            if (row[0] as String) == RecordSchema.deletedFieldName {
                deletes = try heads.map { try version($0, names: &names, db) }
            } else {
                others += heads
            }
        }
        let merged = FieldMerge.merge(record: record, field: RecordSchema.deletedField, heads: deletes, base: nil)
        if let conflict = merged.conflict { return (false, conflict, deletes.map(\.dot)) }
        guard merged.value == .bool(true) else { return (false, nil, deletes.map(\.dot)) }
        let edits = DeleteConflict.unseenEdits(deletes: deletes, otherHeads: others)
        if edits.isEmpty { return (true, nil, deletes.map(\.dot)) }
        return (false, DeleteConflict.id(record: record, deletes: deletes, edits: edits), deletes.map(\.dot) + edits)
    }

    /// A subquery for the row id of the record whose uuid is the statement's next argument.
    static let rowIDOfRecord = "(SELECT id FROM record WHERE uuid = ?)"

    static func version(_ dot: Dot, names: inout ReplicaNames, _ db: Database) throws -> Version {
        let statement = try db.cachedStatement(sql: """
            SELECT \(VersionRow.columns)
            FROM \(VersionRow.tables) JOIN replica r ON r.id = v.replica WHERE r.uuid = ? AND v.counter = ?
            """)
        guard let row = try Row.fetchOne(statement, arguments: [dot.replica.rawValue, Int64(dot.counter)]) else {
            throw StoreError.damaged("version \(dot) is missing")
        }
        return try VersionRow.decode(row, replica: dot.replica, offset: 0, names: &names, db)
    }

    /// Named index: without statistics SQLite would rather walk the replica's versions back
    /// from the counter, which grows with its history.
    static let ancestorSQL = """
        SELECT \(VersionRow.columns)
        FROM version v INDEXED BY version_by_field JOIN record rec ON rec.id = v.record JOIN replica r ON r.id = v.replica
        WHERE v.record = \(rowIDOfRecord) AND v.field = ? AND r.uuid = ? AND v.counter <= ? ORDER BY v.counter DESC LIMIT 1
        """

    static func ancestor(record: RecordID, field: String, common: VersionVector, names: inout ReplicaNames, _ db: Database) throws -> Version? {
        let statement = try db.cachedStatement(sql: ancestorSQL)
        var candidates: [Version] = []
        for replica in common.replicas {
            if let row = try Row.fetchOne(statement, arguments: [record.rawValue, field, replica.rawValue, Int64(common[replica])]) {
                candidates.append(try VersionRow.decode(row, replica: replica, offset: 0, names: &names, db))
            }
        }
        return FieldMerge.greatestAncestor(candidates)
    }

    /// A canonical text dump of everything replicated: versions, records and field states.
    /// Two stores holding the same versions produce the same dump, byte for byte: clocks appear
    /// as `uuid:counter` text, whatever row ids each file gave its replicas.
    public func canonicalDump() throws -> String {
        try read { db in
            var lines = try VersionTable.canonicalLines(db)
            var names = ReplicaNames()
            for row in try Row.fetchAll(db, sql: """
                SELECT r.uuid, f.name, f.joined, f.heads, f.value, f.conflict FROM field f JOIN record r ON r.id = f.record
                ORDER BY r.uuid, f.name
                """) {
                let clocks = [2: StoreCoding.encode(try names.vector(row, 2, db)), 3: StoreCoding.encode(try names.dots(row, 3, db))]
                lines.append("field " + (0..<6).map { clocks[$0].map { "\"\($0)\"" } ?? "\(row[$0] as DatabaseValue)" }.joined(separator: "|"))
            }
            return lines.joined(separator: "\n")
        }
    }
}

extension Store {
    /// The newest versions of the whole replica, newest first by wall-clock time.
    public func recentVersions(limit: Int) throws -> [Version] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.uuid, \(VersionRow.columns)
                FROM \(VersionRow.tables) JOIN replica r ON r.id = v.replica
                ORDER BY v.time DESC, r.uuid, v.counter DESC LIMIT ?
                """, arguments: [limit])
            var names = ReplicaNames()
            return try rows.map { try VersionRow.decode($0, replica: ReplicaID($0[0] as String)!, offset: 1, names: &names, db) }
        }
    }

    /// The heads of every field of `record`: who last set each field (like `git blame`).
    public func fieldHeads(record: RecordID) throws -> [String: [Version]] {
        try read { db in
            var result: [String: [Version]] = [:]
            var names = ReplicaNames()
            for row in try Row.fetchAll(db, sql: "SELECT name, heads FROM field WHERE record = \(Self.rowIDOfRecord)", arguments: [record.rawValue]) {
                result[row[0]] = try names.dots(row, 1, db).map { try Self.version($0, names: &names, db) }
            }
            return result
        }
    }
}

extension Store {
    /// The common ancestor of `heads` of `field` of `record`, as the merge uses it.
    public func commonAncestor(record: RecordID, field: String, heads: [Version]) throws -> Version? {
        try read { db in
            var names = ReplicaNames()
            return try Self.ancestor(record: record, field: field, common: FieldHeads.commonContext(of: heads), names: &names, db)
        }
    }
}
