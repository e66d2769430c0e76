import GRDB
public import SyncModel
public import SyncProtocol

/// Need-to-know on a server file: compartments, clearances, moves, and what an exchange tells
/// a replica about its analyst's access (see ``AccessRules``).
extension SQLiteServerStore {
    public func addCompartment(_ name: String, at time: Int64) throws {
        let name = try Compartment.checkName(name)
        try write { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM compartment WHERE name = ?", arguments: [name]) == nil else {
                throw CompartmentError.exists(name)
            }
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM compartment") == 1 { try ServerAccess.fillTags(db) }
            try db.execute(sql: "INSERT INTO compartment (name, created) VALUES (?, ?)", arguments: [name, time])
        }
    }

    public func compartments() throws -> [(name: String, records: Int)] {
        try read { db in
            let access = try ServerAccess(db, time: 0)
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT class, count(*) FROM record GROUP BY class") {
                for name in access.names(ofClass: row[0]) { counts[name, default: 0] += row[1] as Int }
            }
            return access.names.values.sorted().map { ($0, counts[$0] ?? 0) }
        }
    }

    public func grant(analyst: String, compartment: String, write canWrite: Bool) throws {
        try write { db in
            let id = try Self.compartmentAndAnalyst(compartment, analyst, db)
            try db.execute(sql: "INSERT OR REPLACE INTO clearance (analyst, compartment, write) VALUES (?, ?, ?)", arguments: [analyst, id, canWrite])
            try Self.bumpTeamAccess(db)
        }
    }

    public func revokeClearance(analyst: String, compartment: String) throws -> Bool {
        try write { db in
            let id = try Self.compartmentAndAnalyst(compartment, analyst, db)
            try db.execute(sql: "DELETE FROM clearance WHERE analyst = ? AND compartment = ?", arguments: [analyst, id])
            guard db.changesCount > 0 else { return false }
            try Self.bumpTeamAccess(db)
            return true
        }
    }

    public func clearances(analyst: String?) throws -> [ClearanceEntry] {
        try read { db in
            if let analyst, try Int.fetchOne(db, sql: "SELECT 1 FROM analyst WHERE name = ?", arguments: [analyst]) == nil {
                throw AnalystError.notFound(analyst)
            }
            return try Row.fetchAll(db, sql: """
                SELECT c.analyst, k.name, c.write FROM clearance c JOIN compartment k ON k.id = c.compartment
                WHERE ?1 IS NULL OR c.analyst = ?1 ORDER BY c.analyst, k.name
                """, arguments: [analyst]).map { ClearanceEntry(analyst: $0[0], clearance: Clearance(compartment: $0[1], write: $0[2])) }
        }
    }

    public func setHome(analyst: String, compartment: String) throws {
        try write { db in
            let id = try Self.compartmentAndAnalyst(compartment, analyst, db)
            try db.execute(sql: "UPDATE analyst SET home = ? WHERE name = ?", arguments: [id, analyst])
            try Self.bumpAccess(analyst, db)
        }
    }

    public func move(record: RecordID, to compartment: String, by analyst: String?, at time: Int64) throws {
        try write { db in
            var access = try ServerAccess(db, time: time)
            let row = try Row.fetchOne(db, sql: "SELECT id, kind, class FROM record WHERE uuid = ?", arguments: [record.rawValue])
            // An analyst is answered alike for a record that does not exist and one they may not
            // read, and for a compartment that does not exist and one they may not write.
            let rules = try analyst.map { try access.rules(for: $0) }
            guard let row, rules?.mayRead(access.classes[row[2]] ?? []) ?? true else { throw CompartmentError.recordNotFound(record) }
            guard (row[1] as String) == RecordSchema.cell.kind else { throw CompartmentError.notACell(record) }
            guard let target = try? access.compartmentID(compartment) else {
                if analyst != nil { throw CompartmentError.moveNotCleared(record: record, compartment: compartment) }
                throw CompartmentError.notFound(compartment)
            }
            let before: Int64 = row[2]
            if let rules {
                for id in (access.classes[before] ?? []) + [target] where !rules.write.contains(id) {
                    throw CompartmentError.moveNotCleared(record: record, compartment: access.names[id] ?? compartment)
                }
            }
            let after = try access.classID([target])
            try access.place(record: row[0], from: before, to: after)
            if access.compartmented {
                try access.widenSignals(taggedWith: try access.numbers(ofCell: row[0]), by: [target])
                try access.widenSignals(naming: record, by: [target])
            }
        }
    }

    /// The compartments of `record` as the server holds them; nil for a record it does not hold.
    public func compartments(of record: RecordID) throws -> [String]? {
        try read { db in
            guard let recordClass = try Int64.fetchOne(db, sql: "SELECT class FROM record WHERE uuid = ?", arguments: [record.rawValue]) else { return nil }
            return try ServerAccess(db, time: 0).names(ofClass: recordClass)
        }
    }

    /// The compartment's id, after checking that it and the analyst exist.
    private static func compartmentAndAnalyst(_ compartment: String, _ analyst: String, _ db: Database) throws -> Int64 {
        guard try Int.fetchOne(db, sql: "SELECT 1 FROM analyst WHERE name = ?", arguments: [analyst]) != nil else {
            throw AnalystError.notFound(analyst)
        }
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM compartment WHERE name = ?", arguments: [compartment]) else {
            throw CompartmentError.notFound(compartment)
        }
        return id
    }

    private static func bumpAccess(_ analyst: String, _ db: Database) throws {
        try db.execute(sql: "UPDATE analyst SET access_version = access_version + 1 WHERE name = ?", arguments: [analyst])
    }

    /// Whether a compartment besides the default exists.
    static func compartmented(_ db: Database) throws -> Bool {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM compartment") ?? 1 > 1
    }

    /// Tells every analyst again at their next sync: what a colleague reads changed (see
    /// ``AccessUpdate/colleagues``), and their own clearances may have.
    static func bumpTeamAccess(_ db: Database) throws {
        try db.execute(sql: "UPDATE analyst SET access_version = access_version + 1")
    }

    /// What each active analyst reads among the compartments `rules` read; nil in a team with
    /// no compartment besides the default.
    static func colleagues(readableBy rules: AccessRules, _ access: ServerAccess, _ db: Database) throws -> [String: [String]]? {
        guard access.compartmented else { return nil }
        var colleagues: [String: [String]] = [:]
        let rows = try Row.fetchAll(db, sql: """
            SELECT a.name, c.compartment FROM analyst a LEFT JOIN clearance c ON c.analyst = a.name
            WHERE a.revoked IS NULL ORDER BY a.name, c.compartment
            """)
        for row in rows {
            let name: String = row[0]
            if colleagues[name] == nil { colleagues[name] = [] }
            if let compartment = row[1] as Int64?, rules.read.contains(compartment), let named = access.names[compartment] {
                colleagues[name]!.append(named)
            }
        }
        return colleagues.mapValues { $0.sorted() }
    }

    /// Where `records` stand now, those `rules` read (default ones too): what a pusher is told of
    /// the records it pushed, whose versions do not come back to it.
    static func placements(of records: [RecordID], readableBy rules: AccessRules, _ access: ServerAccess, _ db: Database) throws -> [Placement] {
        let lookup = try db.cachedStatement(sql: "SELECT class FROM record WHERE uuid = ?")
        return try Set(records).sorted().compactMap { record in
            guard let recordClass = try Int64.fetchOne(lookup, arguments: [record.rawValue]), rules.mayRead(access.classes[recordClass] ?? []) else { return nil }
            return Placement(record: record, compartments: access.names(ofClass: recordClass))
        }
    }

    /// The most placements one answer carries.
    static let placementPage = 500

    /// What changed in `analyst`'s access after `cursor`: their clearances if their version
    /// moved, and the placements of records they could read before or can read now.
    static func accessUpdate(analyst: String, after cursor: AccessCursor, rules: AccessRules, _ access: inout ServerAccess, _ db: Database) throws -> AccessUpdate? {
        let standing = try access.standing(of: analyst)
        let version = standing.accessVersion
        // Nothing changed since the cursor: the common answer, told by the analyst's row alone.
        if version == cursor.clearances && standing.placementHead <= cursor.placements { return nil }
        var update = AccessUpdate(cursor: AccessCursor(clearances: version, placements: cursor.placements), clearances: nil)
        if version != cursor.clearances {
            update.clearances = rules.read.compactMap { id in access.names[id].map { Clearance(compartment: $0, write: rules.write.contains(id)) } }.sorted()
            update.home = access.names[rules.home]
            update.colleagues = try colleagues(readableBy: rules, access, db)
        }
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT p.seq, rec.uuid, p.before, p.after FROM placement p JOIN record rec ON rec.id = p.record
            WHERE p.seq > ? ORDER BY p.seq LIMIT ?
            """), arguments: [Int64(clamping: cursor.placements), placementPage + 1])
        for row in rows.prefix(placementPage) {
            update.cursor.placements = UInt64(row[0] as Int64)
            let before = rules.mayRead(access.classes[row[2]] ?? []), after = rules.mayRead(access.classes[row[3]] ?? [])
            guard before || after, let record = RecordID(row[1] as String) else { continue }
            update.placements.append(Placement(record: record, compartments: after ? access.names(ofClass: row[3]) : nil))
        }
        update.more = rows.count > placementPage
        return update.cursor == cursor && update.placements.isEmpty ? nil : update
    }
}
