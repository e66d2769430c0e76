import GRDB
import SyncModel
import SyncProtocol

/// Reading a server file's feed: its versions in arrival order (see ``FeedCursor``).
enum ServerFeed {
    /// The position after the last version stored (``FeedCursor/start`` when there is none).
    static func head(_ db: Database) throws -> FeedCursor {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, chain FROM feed ORDER BY seq DESC LIMIT 1")) else {
            return .start
        }
        return FeedCursor(seq: UInt64(row[0] as Int64), chain: UInt64(bitPattern: row[1] as Int64))
    }

    /// Whether `cursor` is a position of this feed: the same chain of dots up to its `seq`.
    static func honours(_ cursor: FeedCursor, _ db: Database) throws -> Bool {
        guard cursor.seq > 0 else { return cursor.chain == 0 }
        guard let chain = try Int64.fetchOne(db.cachedStatement(sql: "SELECT chain FROM feed WHERE seq = ?"), arguments: [Int64(clamping: cursor.seq)]) else {
            return false
        }
        return UInt64(bitPattern: chain) == cursor.chain
    }

    /// Up to `limit` versions stored after `cursor` (and within `budget`), in arrival order,
    /// leaving out those of `skipping` (the requester's own replicas, which it already has). The
    /// returned cursor covers every entry looked at, skipped ones included.
    static func page(
        _ db: Database, after cursor: FeedCursor, skipping: Set<ReplicaID>, limit: Int, budget: PageBudget = .unbounded
    ) throws -> StoredPage {
        var budget = budget
        var skipRows: Set<Int64> = []
        for replica in skipping {
            if let row = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM replica WHERE uuid = ?"), arguments: [replica.rawValue]) {
                skipRows.insert(row)
            }
        }
        let statement = try db.cachedStatement(sql: """
            SELECT feed.seq, feed.chain, feed.replica, \(VersionRow.columns)
            FROM feed JOIN version v ON v.replica = feed.replica AND v.counter = feed.counter JOIN record rec ON rec.id = v.record
            WHERE feed.seq > ? ORDER BY feed.seq
            """)
        let rows = try Row.fetchCursor(statement, arguments: [Int64(clamping: cursor.seq)])
        var names = ReplicaNames()
        var versions: [Version] = []
        var position = cursor
        while let row = try rows.next() {
            let replicaRow: Int64 = row[2]
            if !skipRows.contains(replicaRow) {
                if versions.count == limit { return StoredPage(versions: versions, more: true, cursor: position) }
                let (version, bytes) = try VersionRow.decodeMeasured(row, statement: statement.sqliteStatement, replica: names.id(row: replicaRow, db),
                                                                offset: 3, names: &names, db)
                guard budget.admits(bytes) else { return StoredPage(versions: versions, more: true, cursor: position) }
                versions.append(version)
            }
            position = FeedCursor(seq: UInt64(row[0] as Int64), chain: UInt64(bitPattern: row[1] as Int64))
        }
        return StoredPage(versions: versions, more: false, cursor: position)
    }
}
