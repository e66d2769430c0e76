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
        let head = try ServerFeed.head(db)
        let at = request.at ?? head
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
        let outlines = try outlines(db, of: records, upTo: at == head ? nil : at)
        var builder = ShallowPageBuilder(limit: limit, budget: budget)
        var placements: [Placement] = []
        var names = ReplicaNames()
        for record in records {
            let taken: Bool
            if let outline = outlines[record.row], !outline.isEmpty {
                let chosen = try ShallowSnapshot.select(outline).map { try version(at: $0.dot, of: record.id, names: &names, db) }
                taken = builder.take(record.id, chosen: chosen, among: outline.map(\.dot))
            } else {
                taken = builder.take(record.id, versions: nil)
            }
            guard taken else { break }
            if outlines[record.row] != nil, record.recordClass != Compartment.defaultID {
                placements.append(Placement(record: record.id, compartments: access.names[record.recordClass] ?? []))
            }
        }
        return builder.page(at: at, compartments: placements, remaining: remaining)
    }

    /// Every version of `records` up to feed position `at` (nil: the feed's head), by record row,
    /// as outlines: dot, field and context, which is all ``ShallowSnapshot/select(_:)`` reads
    /// (kind, author and time empty, value null), so the values of the many versions not chosen
    /// are never read.
    /// The version table has no index by record (the server never needed one), so this is one
    /// scan of it; a replica's versions enter the feed in counter order, so "up to `at`" is each
    /// replica's counters up to its last entry there, and nothing at all at the feed's head.
    private static func outlines(
        _ db: Database, of records: [(row: Int64, id: RecordID, recordClass: Int64)], upTo at: FeedCursor?
    ) throws -> [Int64: [Version]] {
        guard !records.isEmpty else { return [:] }
        var bound: [Int64: Int64]?
        if let at {
            var bounds: [Int64: Int64] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT replica, MAX(counter) FROM feed WHERE seq <= ? GROUP BY replica"),
                                        arguments: [Int64(clamping: at.seq)]) {
                bounds[row[0]] = row[1]
            }
            bound = bounds
        }
        let ids = Dictionary(uniqueKeysWithValues: records.map { ($0.row, $0.id) })
        let statement = try db.cachedStatement(sql: """
            SELECT v.replica, v.record, v.counter, v.field, v.context FROM version v WHERE v.record IN (SELECT value FROM json_each(?))
            """)
        let list = String(decoding: try JSONEncoder().encode(records.map(\.row)), as: UTF8.self)
        let cursor = try Row.fetchCursor(statement, arguments: [list])
        var names = ReplicaNames()
        var result: [Int64: [Version]] = [:]
        while let row = try cursor.next() {
            let replicaRow: Int64 = row[0]
            let counter: Int64 = row[2]
            if let bound { guard let last = bound[replicaRow], counter <= last else { continue } }
            let recordRow: Int64 = row[1]
            guard let record = ids[recordRow] else { continue }
            let outline = Version(dot: Dot(replica: try names.id(row: replicaRow, db), counter: UInt64(counter)),
                                  context: try names.vector(row, 4, in: statement.sqliteStatement, db), record: record,
                                  kind: "", field: row[3], value: .null, author: "", time: 0)
            result[recordRow, default: []].append(outline)
        }
        return result
    }

    /// The whole version `dot` of `record`, read by its key.
    private static func version(at dot: Dot, of record: RecordID, names: inout ReplicaNames, _ db: Database) throws -> Version {
        let statement = try db.cachedStatement(sql: """
            SELECT \(VersionRow.columns) FROM version v JOIN record rec ON rec.id = v.record
            WHERE v.replica = (SELECT id FROM replica WHERE uuid = ?) AND v.counter = ?
            """)
        guard let row = try Row.fetchOne(statement, arguments: [dot.replica.rawValue, Int64(clamping: dot.counter)]) else {
            throw StoreError.damaged("version \(dot) of a shallow page's record is no longer stored")
        }
        return try VersionRow.decode(row, replica: dot.replica, offset: 0, names: &names, db)
    }
}
