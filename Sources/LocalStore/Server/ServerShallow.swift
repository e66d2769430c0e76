import Foundation
import GRDB
import SyncModel
import SyncProtocol

/// A server file's shallow pages (see ``ShallowSnapshot``): the current state of the records an
/// analyst reads, record by record in id order, as of one feed position.
enum ServerShallow {
    /// The page after `request.after` of the state at `request.at` (the feed's head when nil), of
    /// records `access` reads; at most `limit` records are looked at, and the page is bounded by
    /// `limit` versions and `budget` (``ShallowPageBuilder``).
    static func page(_ db: Database, _ request: ShallowRequest, access: PageAccess, limit: Int, budget: PageBudget) throws -> StoredPage {
        let at = try request.at ?? ServerFeed.head(db)
        guard try ServerFeed.honours(at, db) else { throw ShallowError.unknownPosition(at) }
        var records: [(row: Int64, id: RecordID, recordClass: Int64)] = []
        var remaining = false
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT id, uuid, class FROM record WHERE uuid > ? ORDER BY uuid"),
                                       arguments: [request.after?.rawValue ?? ""])
        while let row = try rows.next() {
            guard access.reads(row[2]) else { continue }
            guard records.count < max(limit, 1) else {
                remaining = true
                break
            }
            guard let id = RecordID(row[1] as String) else { throw StoreError.damaged("the database holds a malformed record id") }
            records.append((row[0], id, row[2]))
        }
        let versions = try versions(db, of: records.map(\.row), upTo: at)
        var builder = ShallowPageBuilder(limit: limit, budget: budget)
        var placements: [Placement] = []
        for record in records {
            guard builder.take(record.id, versions: versions[record.row]) else { break }
            if versions[record.row] != nil, record.recordClass != Compartment.defaultID {
                placements.append(Placement(record: record.id, compartments: access.names[record.recordClass] ?? []))
            }
        }
        return builder.page(at: at, compartments: placements, remaining: remaining)
    }

    /// Every version of the records in `rows` up to feed position `at`, by record row. The
    /// version table has no index by record (the server never needed one), so this is one scan
    /// of it; a replica's versions enter the feed in counter order, so "up to `at`" is each
    /// replica's counters up to its last entry there.
    private static func versions(_ db: Database, of rows: [Int64], upTo at: FeedCursor) throws -> [Int64: [Version]] {
        guard !rows.isEmpty else { return [:] }
        var bound: [Int64: Int64] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT replica, MAX(counter) FROM feed WHERE seq <= ? GROUP BY replica"),
                                    arguments: [Int64(clamping: at.seq)]) {
            bound[row[0]] = row[1]
        }
        let statement = try db.cachedStatement(sql: """
            SELECT v.replica, v.record, \(VersionRow.columns) FROM version v CROSS JOIN record rec ON rec.id = v.record
            WHERE v.record IN (SELECT value FROM json_each(?))
            """)
        let list = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        let cursor = try Row.fetchCursor(statement, arguments: [list])
        var names = ReplicaNames()
        var result: [Int64: [Version]] = [:]
        while let row = try cursor.next() {
            let replicaRow: Int64 = row[0]
            guard let last = bound[replicaRow], (row[2] as Int64) <= last else { continue }
            let version = try VersionRow.decode(row, statement: statement.sqliteStatement, replica: names.id(row: replicaRow, db),
                                                offset: 2, names: &names, db)
            result[row[1], default: []].append(version)
        }
        return result
    }
}
