import Foundation
import GRDB
public import SyncModel
public import SyncProtocol

/// Need-to-know on a replica: the access its server last told it, the records it removes when
/// a clearance goes (setting aside the analyst's unsent writes there), and the history it asks
/// for when one is granted (see ``AccessRules``).
extension Replica {
    /// The most withdrawn dots one request names (the server takes at most 20,000 with homes).
    static let withdrawnPerRequest = 10_000

    /// How far this file has followed its analyst's access.
    public func accessCursor() throws -> AccessCursor {
        try store.read { db in try Self.accessCursor(db) }
    }

    static func accessCursor(_ db: Database) throws -> AccessCursor {
        guard let text = try Meta.get("access_cursor", db) else { return .start }
        let parts = text.split(separator: ":").compactMap { UInt64($0) }
        return parts.count == 2 ? AccessCursor(clearances: parts[0], placements: parts[1]) : .start
    }

    /// The analyst's clearances as the server last told them; empty before the first sync that did.
    public func clearances() throws -> [Clearance] {
        try store.read { db in try Self.clearances(db) }
    }

    static func clearances(_ db: Database) throws -> [Clearance] {
        try Row.fetchAll(db, sql: "SELECT compartment, write FROM clearance ORDER BY compartment").map { Clearance(compartment: $0[0], write: $0[1]) }
    }

    /// How many records this file holds (or made) outside the default compartment.
    public func restrictedRecordCount() throws -> Int {
        try store.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM (SELECT uuid FROM record WHERE compartments IS NOT NULL
                                      UNION SELECT record FROM record_home WHERE compartment <> ?)
                """, arguments: [Compartment.defaultName]) ?? 0
        }
    }

    /// Names the compartment a record made here goes to (sent with its first push).
    public func setHome(record: RecordID, compartment: String) throws {
        let name = try Compartment.checkName(compartment)
        try store.transaction { db in
            try db.execute(sql: "INSERT OR REPLACE INTO record_home (record, compartment) VALUES (?, ?)", arguments: [record.rawValue, name])
        }
    }

    /// Places a record about to be made here: in `compartment` when one is named, else in the
    /// analyst's default compartment as the last sync told it (nothing is noted for `default`,
    /// where a record is taken to be until the server says otherwise).
    public func placeNewRecord(_ record: RecordID, in compartment: String? = nil) throws {
        guard let name = try compartment ?? knownHome(), name != Compartment.defaultName else { return }
        try setHome(record: record, compartment: name)
    }

    /// Names the compartments of many records made here at once (see ``setHome(record:compartment:)``).
    public func setHomes(_ homes: [RecordID: String]) throws {
        let named = try homes.mapValues { try Compartment.checkName($0) }
        try store.transaction { db in
            let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO record_home (record, compartment) VALUES (?, ?)")
            for (record, name) in named { try insert.execute(arguments: [record.rawValue, name]) }
        }
    }

    /// Where the records of `versions` go when the server does not hold them yet: the
    /// compartment named here for those made here, and for those carried for another replica
    /// (from a colleague's bundle) the first compartment this file knows them in, so that the
    /// server never places a carried restricted record in its author's default compartment.
    func homes(for versions: [Version], _ db: Database) throws -> [Placement] {
        let own = try ownReplicas(db)
        // A push is mostly runs of one replica: its ownership is looked up once per run.
        var carried: Set<RecordID> = []
        var last: (replica: ReplicaID, own: Bool)?
        for version in versions {
            if last?.replica != version.dot.replica { last = (version.dot.replica, own.contains(version.dot.replica)) }
            if last?.own == false { carried.insert(version.record) }
        }
        return try homes(for: Set(versions.map(\.record)).sorted(), carried: carried, db)
    }

    /// ``homes(for:_:)`` of `records` (sorted, each once), of which `carried` hold versions of
    /// other replicas.
    func homes(for records: [RecordID], carried: Set<RecordID>, _ db: Database) throws -> [Placement] {
        // Most files name none: one look at the table, not one per record.
        let named = try Int.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM record_home)")) == 1
        guard named || !carried.isEmpty else { return [] }
        let lookup = try db.cachedStatement(sql: "SELECT compartment FROM record_home WHERE record = ?")
        let known = try db.cachedStatement(sql: "SELECT compartments FROM record WHERE uuid = ?")
        return try records.compactMap { record in
            if named, let home = try String.fetchOne(lookup, arguments: [record.rawValue]) {
                return Placement(record: record, compartments: [home])
            }
            guard carried.contains(record), let text = try String.fetchOne(known, arguments: [record.rawValue]),
                  let first = text.split(separator: ",").first else { return nil }
            return Placement(record: record, compartments: [String(first)])
        }
    }

    /// A record's compartments as this file knows them: the server's word, else the one named
    /// when it was made here, else the default one.
    public func compartments(of record: RecordID) throws -> [String] {
        try store.read { db in try Self.compartments(of: record, db) }
    }

    static func compartments(of record: RecordID, _ db: Database) throws -> [String] {
        if let known = try String.fetchOne(db, sql: "SELECT compartments FROM record WHERE uuid = ?", arguments: [record.rawValue]) {
            return known.split(separator: ",").map(String.init)
        }
        let home = try String.fetchOne(db, sql: "SELECT compartment FROM record_home WHERE record = ?", arguments: [record.rawValue])
        return [home ?? Compartment.defaultName]
    }

    /// The compartment the server puts this analyst's new records in when they name none, as
    /// the last sync told it; nil before one did.
    public func knownHome() throws -> String? {
        try store.read { db in try Meta.get("home", db) }
    }

    /// What a push of `versions` sends beside them: the compartments named for its records made
    /// here, and every dot of this file's set aside that the server has not passed yet.
    public func accessParts(for versions: [Version]) throws -> (homes: [Placement], withdrawn: [Dot]) {
        try store.read { db in try accessParts(for: versions, db) }
    }

    /// ``accessParts(for:)`` in a transaction already open.
    func accessParts(for versions: [Version], acknowledged: VersionVector? = nil, _ db: Database) throws -> (homes: [Placement], withdrawn: [Dot]) {
        let homes = versions.isEmpty ? [] : try homes(for: versions, db)
        let acknowledged = try acknowledged ?? Self.lastServerVector(db)
        let withdrawn = try Row.fetchAll(db.cachedStatement(sql: "SELECT replica, counter FROM withdrawn ORDER BY replica, counter")).compactMap { row -> Dot? in
            guard let replica = ReplicaID(row[0] as String) else { return nil }
            let dot = Dot(replica: replica, counter: UInt64(row[1] as Int64))
            return dot.counter > acknowledged[replica] ? dot : nil
        }
        // The lowest first, a page at a time: the server's counter passes over them in order.
        return (homes, Array(withdrawn.prefix(Self.withdrawnPerRequest)))
    }

    /// Applies what an answer said of access, in the page's transaction, before its versions:
    /// removes the records the analyst may no longer read and notes the history to ask for.
    /// Returns whether records were removed (the file is then compacted, see ``scrub()``).
    func applyAccess(_ update: AccessUpdate, _ db: Database, at time: Int64) throws -> Bool {
        let before = Set(try Self.clearances(db).map(\.compartment))
        // A file told its clearances before asks for what a grant opens; one never told pulled
        // from a server without compartments (or was made just now), so it lacks nothing.
        let told = try Meta.get("clearances_told", db) != nil
        var removing: [Int64: (id: RecordID, kind: String)] = [:]
        var lost: Set<String> = []
        var gained: (compartments: Set<String>, records: Set<RecordID>) = ([], [])
        if let home = update.home { try Meta.set("home", home, db) }
        // A record's last placement is where it stands now. One readable now that this file does
        // not hold is brought with its history; one it holds was readable at each of its pulls
        // (a move out and back between two syncs hid nothing from it). Placements are taken
        // before the clearances, so that a record moved to a compartment the analyst is newly
        // cleared for is judged where it stands now, not removed for where it was.
        var last: [RecordID: [String]?] = [:]
        for placement in update.placements { last[placement.record] = placement.compartments }
        for (record, compartments) in last.sorted(by: { $0.key < $1.key }) {
            let row = try Row.fetchOne(db, sql: "SELECT id, kind FROM record WHERE uuid = ?", arguments: [record.rawValue])
            guard let names = compartments else {
                if let row {
                    removing[row[0]] = (record, row[1])
                    lost.insert("(moved)")
                }
                continue
            }
            if row != nil { try Self.setCompartments(names, of: record, db) } else { gained.records.insert(record) }
        }
        if let clearances = update.clearances {
            let read = Set(clearances.map(\.compartment))
            try db.execute(sql: "DELETE FROM clearance")
            try Meta.set("clearances_told", "1", db)
            try Self.noteColleagues(update.colleagues, db)
            for clearance in clearances {
                try db.execute(sql: "INSERT INTO clearance (compartment, write) VALUES (?, ?)", arguments: [clearance.compartment, clearance.write])
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.id, r.uuid, r.kind, coalesce(r.compartments, h.compartment, ?) FROM record r LEFT JOIN record_home h ON h.record = r.uuid
                """, arguments: [Compartment.defaultName])
            for row in rows {
                let compartments = Set((row[3] as String).split(separator: ",").map(String.init))
                guard !compartments.isSubset(of: read), let id = RecordID(row[1] as String) else { continue }
                removing[row[0]] = (id, row[2])
                lost.formUnion(compartments.subtracting(read))
            }
            if told { gained.compartments = read.subtracting(before) }
        }
        // Unsent writes of records the analyst may still read but no longer write would be
        // refused at every push: they are set aside, and the record is brought again as the
        // server holds it.
        let readOnly = Set(try Self.clearances(db).filter { !$0.write }.map(\.compartment))
        var rewinding: [Int64: (id: RecordID, kind: String)] = [:]
        if !readOnly.isEmpty {
            for (row, record) in try unsentRecords(db) where removing[row] == nil {
                if !readOnly.isDisjoint(with: try Self.compartments(of: record.id, db)) {
                    rewinding[row] = record
                    gained.records.insert(record.id)
                }
            }
        }
        try Self.addBackfill(compartments: gained.compartments, records: gained.records, db)
        try Meta.set("access_cursor", "\(update.cursor.clearances):\(update.cursor.placements)", db)
        guard !removing.isEmpty || !rewinding.isEmpty else { return false }
        if !removing.isEmpty { try remove(removing, reason: lost.subtracting(["(moved)"]).sorted(), counted: true, db, at: time) }
        if !rewinding.isEmpty { try remove(rewinding, reason: readOnly.sorted(), counted: false, db, at: time) }
        return true
    }

    /// The records holding this file's writes the server has not acknowledged, by row.
    private func unsentRecords(_ db: Database) throws -> [Int64: (id: RecordID, kind: String)] {
        let acknowledged = try Self.lastServerVector(db)
        var records: [Int64: (id: RecordID, kind: String)] = [:]
        let statement = try db.cachedStatement(sql: """
            SELECT DISTINCT r.id, r.uuid, r.kind FROM version v JOIN record r ON r.id = v.record JOIN replica p ON p.id = v.replica
            WHERE p.uuid = ? AND v.counter > ?
            """)
        for replica in try ownReplicas(db) {
            for row in try Row.fetchAll(statement, arguments: [replica.rawValue, Int64(acknowledged[replica])]) {
                if let id = RecordID(row[1] as String) { records[row[0]] = (id, row[2]) }
            }
        }
        return records
    }

    /// Sets aside this file's unsent writes of `records` (the server refused them as outside the
    /// analyst's clearances): they are saved to a file and withdrawn, and each record is brought
    /// again as the server holds it.
    public func setAside(_ records: [RecordID]) throws {
        let removed = try store.transaction { db in
            var rows: [Int64: (id: RecordID, kind: String)] = [:]
            for record in records {
                if let row = try Row.fetchOne(db, sql: "SELECT id, kind FROM record WHERE uuid = ?", arguments: [record.rawValue]) { rows[row[0]] = (record, row[1]) }
            }
            guard !rows.isEmpty else { return false }
            try Self.addBackfill(compartments: [], records: Set(rows.values.map(\.id)), db)
            let writable = Set(try Self.clearances(db).filter(\.write).map(\.compartment))
            let reason = Set(try rows.values.flatMap { try Self.compartments(of: $0.id, db) }).subtracting(writable).sorted()
            try remove(rows, reason: reason, counted: false, db, at: WallClock.now())
            return true
        }
        if removed { try scrub() }
    }

    /// Records the compartments of `placements`' records, as the server named them.
    static func noteCompartments(_ placements: [Placement], _ db: Database) throws {
        for placement in placements { try setCompartments(placement.compartments ?? [], of: placement.record, db) }
    }

    private static func setCompartments(_ names: [String], of record: RecordID, _ db: Database) throws {
        let text: String? = names.isEmpty || names == [Compartment.defaultName] ? nil : names.sorted().joined(separator: ",")
        try db.execute(sql: "UPDATE record SET compartments = ? WHERE uuid = ?", arguments: [text, record.rawValue])
        // The server's word now stands: the compartment named when the record was made here goes.
        try db.execute(sql: "DELETE FROM record_home WHERE record = ?", arguments: [record.rawValue])
    }

    /// Deletes `records` with their versions and field states (conflicts included), after
    /// writing this file's unsent writes of them to a set-aside file and noting their dots as
    /// withdrawn; records what was removed for `status` and the sync's report.
    ///
    /// Records removed only to be brought again as the server holds them are not `counted`:
    /// the note then tells only of the writes set aside.
    private func remove(_ records: [Int64: (id: RecordID, kind: String)], reason: [String], counted: Bool, _ db: Database, at time: Int64) throws {
        // Deleted content is overwritten in place, not left in free pages; the file is then
        // rebuilt (``scrub()``), which this mark makes sure happens.
        try db.execute(sql: "PRAGMA secure_delete = ON")
        try Meta.set("scrub_pending", "1", db)
        let own = try ownReplicas(db)
        let acknowledged = try Self.lastServerVector(db)
        var names = ReplicaNames()
        var unsent: [Version] = []
        let versions = try db.cachedStatement(sql: "SELECT v.replica, \(VersionRow.columns) FROM \(VersionRow.tables) WHERE v.record = ? ORDER BY v.replica, v.counter")
        for (row, _) in records.sorted(by: { $0.key < $1.key }) {
            for version in try Row.fetchAll(versions, arguments: [row]) {
                let replica = try names.id(row: version[0] as Int64, db)
                let counter = UInt64(version[1] as Int64)
                guard own.contains(replica), counter > acknowledged[replica] else { continue }
                unsent.append(try VersionRow.decode(version, replica: replica, offset: 1, names: &names, db))
            }
        }
        var file: String?
        if !unsent.isEmpty {
            file = try SetAside.write(unsent, analyst: analyst, replica: id, reason: reason, beside: store.path, at: time)
            let withdraw = try db.cachedStatement(sql: "INSERT OR IGNORE INTO withdrawn (replica, counter) VALUES (?, ?)")
            for version in unsent { try withdraw.execute(arguments: [version.dot.replica.rawValue, Int64(version.dot.counter)]) }
        }
        // Their conflicts leave with them, unresolved: the server is not told they closed.
        let conflicts = try ConflictReports.open(on: Set(records.values.map(\.id)), db)
        for (row, record) in records {
            try db.execute(sql: "DELETE FROM version WHERE record = ?", arguments: [row])
            try db.execute(sql: "DELETE FROM field WHERE record = ?", arguments: [row])
            try db.execute(sql: "DELETE FROM record WHERE id = ?", arguments: [row])
            try db.execute(sql: "DELETE FROM record_home WHERE record = ?", arguments: [record.id.rawValue])
        }
        try ConflictReports.forget(conflicts, db)
        guard counted || file != nil else { return }
        let cells = counted ? records.values.filter { $0.kind == RecordSchema.cell.kind }.count : 0
        let signals = counted ? records.count - cells : 0
        try db.execute(sql: """
            INSERT INTO removal (time, compartments, cells, signals, set_aside, set_aside_versions) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [time, reason.joined(separator: ","), cells, signals, file, unsent.count])
    }

    /// Compacts the file after records were removed: every page is rewritten from what is left
    /// and the write-ahead log is emptied, so no page of the file or its `-wal` keeps their text.
    ///
    /// The removal's transaction marks the file to scrub, and only a whole scrub clears the
    /// mark: one cut short (a crash, a reader holding the log) is done again at the next sync.
    func scrub() throws {
        try store.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA secure_delete = OFF")
            guard store.path != ":memory:" else { return }
            try db.execute(sql: "VACUUM")
            guard let result = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)"), (result[0] as Int) == 0 else {
                throw StoreError.writeFailed(reason: "the write-ahead log could not be emptied after removing records (another program has the replica open); close it and sync again")
            }
        }
        try store.transaction { db in try db.execute(sql: "DELETE FROM meta WHERE key = 'scrub_pending'") }
    }

    /// Finishes a scrub a removal left undone (see ``scrub()``).
    public func scrubIfPending() throws {
        if try store.read({ db in try Meta.get("scrub_pending", db) }) != nil { try scrub() }
    }

    /// What was removed from this file because clearances went, oldest first.
    public func removals() throws -> [Removal] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, time, compartments, cells, signals, set_aside, set_aside_versions FROM removal ORDER BY id").map {
                Removal(id: $0[0], time: $0[1], compartments: ($0[2] as String).split(separator: ",").map(String.init), cells: $0[3], signals: $0[4],
                        setAside: $0[5], setAsideVersions: $0[6])
            }
        }
    }
}
