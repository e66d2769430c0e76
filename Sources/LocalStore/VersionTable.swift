import GRDB
import SyncModel
import SyncProtocol

/// Reading the `version` and `replica` tables, which replicas and servers lay out alike.
enum VersionTable {
    /// The counters held for `replicas` only: one indexed lookup each, however many replicas
    /// the file knows.
    static func versionVector(of replicas: some Sequence<ReplicaID>, _ db: Database) throws -> VersionVector {
        var entries: [VersionVector.Entry] = []
        for replica in replicas {
            let counter = try Int64.fetchOne(db.cachedStatement(sql: "SELECT counter FROM replica WHERE uuid = ?"), arguments: [replica.rawValue])
            entries.append(.init(replica: replica, counter: UInt64(counter ?? 0)))
        }
        return VersionVector(unsorted: entries)
    }

    /// Every counter held: each version held is `(r, 1...vector[r])`.
    static func versionVector(_ db: Database) throws -> VersionVector {
        var entries: [VersionVector.Entry] = []
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT uuid, counter FROM replica WHERE counter > 0")) {
            if let replica = ReplicaID(row[0] as String) { entries.append(.init(replica: replica, counter: UInt64(row[1] as Int64))) }
        }
        return VersionVector(unsorted: entries)
    }

    /// Up to `limit` versions that `vector` does not cover, each replica's in counter order, and
    /// whether more are left. `replicas`, when given, restricts the answer to those replicas;
    /// `budget` bounds the page's size too (see ``PageBudget``).
    static func versions(
        _ db: Database, notCoveredBy vector: VersionVector, limit: Int, replicas: Set<ReplicaID>? = nil, budget: PageBudget = .unbounded
    ) throws -> (versions: [Version], more: Bool) {
        var result: [Version] = []
        var budget = budget
        let rows: [Row]
        if let replicas {
            // A few named replicas: one lookup each, however many replicas the store knows.
            let lookup = try db.cachedStatement(sql: "SELECT id, uuid, counter FROM replica WHERE uuid = ?")
            rows = try replicas.sorted().compactMap { try Row.fetchOne(lookup, arguments: [$0.rawValue]) }
        } else {
            rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, uuid, counter FROM replica ORDER BY uuid"))
        }
        var names = ReplicaNames()
        for row in rows {
            guard let replica = ReplicaID(row[1] as String) else { continue }
            names.note(row: row[0], id: replica)
            let have = UInt64(row[2] as Int64)
            let seen = vector[replica]
            guard have > seen else { continue }
            if result.count >= limit { return (result, true) }
            let wanted = limit - result.count
            let statement = try db.cachedStatement(sql: """
                SELECT \(VersionRow.columns) FROM \(VersionRow.tables)
                WHERE v.replica = ? AND v.counter > ? ORDER BY v.counter LIMIT ?
                """)
            // A cursor, not fetchAll: rows past the page's budget are never read into memory.
            let fetched = try Row.fetchCursor(statement, arguments: [row[0] as Int64, Int64(seen), wanted])
            var count = 0
            var last = seen
            while let versionRow = try fetched.next() {
                let (version, bytes) = try VersionRow.decodeMeasured(versionRow, statement: statement.sqliteStatement, replica: replica,
                                                                offset: 0, names: &names, db)
                guard budget.admits(bytes) else { return (result, true) }
                result.append(version)
                count += 1
                last = version.dot.counter
            }
            // Judged by the rows read, not by counting counters: a replica's counters may skip
            // (writes set aside when a clearance went, see ``AccessRules``).
            if count == wanted && last < have { return (result, true) }
        }
        return (result, false)
    }

    /// Every version and record as text lines in a canonical order: two files holding the same
    /// versions give the same lines, byte for byte, whatever row ids each gave its replicas
    /// (clocks appear as `uuid:counter` text).
    static func canonicalLines(_ db: Database) throws -> [String] {
        var lines: [String] = []
        var names = ReplicaNames()
        for row in try Row.fetchAll(db, sql: """
            SELECT r.uuid, \(VersionRow.columns)
            FROM \(VersionRow.tables) JOIN replica r ON r.id = v.replica ORDER BY r.uuid, v.counter
            """) {
            let context = StoreCoding.encode(try names.vector(row, 5, db))
            lines.append("version " + (0..<9).map { $0 == 5 ? "\"\(context)\"" : "\(row[$0] as DatabaseValue)" }.joined(separator: "|"))
        }
        for row in try Row.fetchAll(db, sql: "SELECT uuid, kind, deleted FROM record ORDER BY uuid") {
            lines.append("record \(row[0] as String)|\(row[1] as String)|\(row[2] as Int)")
        }
        return lines
    }
}
