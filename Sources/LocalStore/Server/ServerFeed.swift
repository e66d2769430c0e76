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
    /// leaving out those of `skipping` (the requester's own replicas, which it already has) and,
    /// when `access` is given, those of records in classes it does not read. The returned cursor
    /// covers every entry looked at, skipped ones included.
    static func page(
        _ db: Database, after cursor: FeedCursor, skipping: Set<ReplicaID>, limit: Int, budget: PageBudget = .unbounded,
        access: PageAccess? = nil
    ) throws -> StoredPage {
        var skipRows: Set<Int64> = []
        for replica in skipping {
            if let row = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM replica WHERE uuid = ?"), arguments: [replica.rawValue]) {
                skipRows.insert(row)
            }
        }
        var page = PageBuilder(access: access)
        let (more, position) = try scan(db, after: cursor, limit: limit, budget: budget, into: &page) { replicaRow, recordClass, _ in
            !skipRows.contains(replicaRow) && access?.reads(recordClass) != false
        }
        return page.page(more: more, cursor: position)
    }

    /// Reads the feed after `cursor` in order, appending to `page` the versions `include`
    /// takes (given their replica's row, their record's class and row), up to `limit` within
    /// `budget`; returns whether it stopped short, and the position after every entry looked at.
    private static func scan(
        _ db: Database, after cursor: FeedCursor, limit: Int, budget: PageBudget, into page: inout PageBuilder,
        include: (_ replicaRow: Int64, _ recordClass: Int64, _ recordRow: Int64) -> Bool
    ) throws -> (more: Bool, position: FeedCursor) {
        var budget = budget
        let statement = try db.cachedStatement(sql: """
            SELECT feed.seq, feed.chain, feed.replica, rec.class, rec.id, \(VersionRow.columns)
            FROM feed JOIN version v ON v.replica = feed.replica AND v.counter = feed.counter JOIN record rec ON rec.id = v.record
            WHERE feed.seq > ? ORDER BY feed.seq
            """)
        let rows = try Row.fetchCursor(statement, arguments: [Int64(clamping: cursor.seq)])
        var names = ReplicaNames()
        var position = cursor
        while let row = try rows.next() {
            let replicaRow: Int64 = row[2]
            let recordClass: Int64 = row[3]
            if include(replicaRow, recordClass, row[4]) {
                if page.versions.count == limit { return (true, position) }
                let (version, bytes) = try VersionRow.decodeMeasured(row, statement: statement.sqliteStatement, replica: names.id(row: replicaRow, db),
                                                                offset: 5, names: &names, db)
                guard budget.admits(bytes) else { return (true, position) }
                page.append(version, class: recordClass)
            }
            position = FeedCursor(seq: UInt64(row[0] as Int64), chain: UInt64(bitPattern: row[1] as Int64))
        }
        return (false, position)
    }

    /// Up to `limit` versions `vector` does not cover that `access` reads, each replica's in
    /// counter order (see ``VersionTable/versions(_:notCoveredBy:limit:replicas:budget:)``, which
    /// serves an analyst who reads everything); the last page carries the feed's head.
    static func page(_ db: Database, notCoveredBy vector: VersionVector, limit: Int, budget: PageBudget, access: PageAccess) throws -> StoredPage {
        guard access.readable != nil else {
            let found = try VersionTable.versions(db, notCoveredBy: vector, limit: limit, budget: budget)
            var page = PageBuilder(access: access)
            for version in found.versions { page.append(version, class: nil) }
            try page.noteClasses(db)
            return page.page(more: found.more, cursor: found.more ? nil : try head(db))
        }
        var budget = budget
        var page = PageBuilder(access: access)
        var names = ReplicaNames()
        let statement = try db.cachedStatement(sql: """
            SELECT rec.class, \(VersionRow.columns) FROM \(VersionRow.tables) WHERE v.replica = ? AND v.counter > ? ORDER BY v.counter
            """)
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT id, uuid, counter FROM replica ORDER BY uuid")) {
            guard let replica = ReplicaID(row[1] as String) else { continue }
            names.note(row: row[0], id: replica)
            let seen = vector[replica]
            guard UInt64(row[2] as Int64) > seen else { continue }
            let rows = try Row.fetchCursor(statement, arguments: [row[0] as Int64, Int64(seen)])
            while let versionRow = try rows.next() {
                let recordClass: Int64 = versionRow[0]
                guard page.reads(recordClass) else { continue }
                if page.versions.count == limit { return page.page(more: true, cursor: nil) }
                let (version, bytes) = try VersionRow.decodeMeasured(versionRow, statement: statement.sqliteStatement, replica: replica,
                                                                offset: 1, names: &names, db)
                guard budget.admits(bytes) else { return page.page(more: true, cursor: nil) }
                page.append(version, class: recordClass)
            }
        }
        return page.page(more: false, cursor: try head(db))
    }
}

extension ServerFeed {
    /// Up to `limit` versions (within `budget`) after feed position `backfill.after` of the
    /// records `backfill` names (by compartment or by id) that `pageAccess` reads, in feed order,
    /// with the position reached; whatever the client's own cursor.
    static func backfill(
        _ db: Database, _ backfill: Backfill, access: ServerAccess, pageAccess: PageAccess, limit: Int, budget: PageBudget
    ) throws -> StoredPage {
        // Names the server lacks are passed over, as unreadable ones are: no answer tells which exist.
        let compartments = Set(backfill.compartments.compactMap { try? access.compartmentID($0) })
        let lookup = try db.cachedStatement(sql: "SELECT id FROM record WHERE uuid = ?")
        let records = Set(try backfill.records.compactMap { try Int64.fetchOne(lookup, arguments: [$0.rawValue]) })
        let wanted = Set(access.classes.filter { !compartments.isDisjoint(with: $0.value) }.keys)
        var page = PageBuilder(access: pageAccess)
        // Only the position's seq counts here: a backfill is not a feed cursor.
        let (more, position) = try scan(db, after: FeedCursor(seq: backfill.after, chain: 0), limit: limit, budget: budget, into: &page) { _, recordClass, recordRow in
            pageAccess.reads(recordClass) && (wanted.contains(recordClass) || records.contains(recordRow))
        }
        return page.page(more: more, cursor: nil, backfilled: position.seq)
    }
}

/// Which records an analyst's page may hold, and how to name their compartments.
struct PageAccess {
    /// The classes the analyst reads; nil when they read every class the file has.
    var readable: Set<Int64>?
    /// Every class's compartment names, sorted.
    var names: [Int64: [String]]

    func reads(_ recordClass: Int64) -> Bool {
        readable?.contains(recordClass) ?? true
    }
}

/// A page being read: its versions, and the compartments of its records outside the default.
struct PageBuilder {
    let access: PageAccess?
    var versions: [Version] = []
    private var classes: [RecordID: Int64] = [:]

    init(access: PageAccess?) {
        self.access = access
    }

    func reads(_ recordClass: Int64) -> Bool {
        access?.reads(recordClass) ?? true
    }

    mutating func append(_ version: Version, class recordClass: Int64?) {
        versions.append(version)
        if let recordClass, recordClass != Compartment.defaultID, access != nil { classes[version.record] = recordClass }
    }

    /// Reads the classes of the page's records, for a page read without them.
    mutating func noteClasses(_ db: Database) throws {
        guard let access, access.names.count > 1 else { return }
        let lookup = try db.cachedStatement(sql: "SELECT class FROM record WHERE uuid = ?")
        for record in Set(versions.map(\.record)) {
            if let recordClass = try Int64.fetchOne(lookup, arguments: [record.rawValue]), recordClass != Compartment.defaultID {
                classes[record] = recordClass
            }
        }
    }

    func page(more: Bool, cursor: FeedCursor?, backfilled: UInt64? = nil) -> StoredPage {
        let compartments = classes.map { Placement(record: $0.key, compartments: access?.names[$0.value] ?? []) }.sorted { $0.record < $1.record }
        return StoredPage(versions: versions, more: more, cursor: cursor, compartments: compartments, backfilled: backfilled)
    }
}
