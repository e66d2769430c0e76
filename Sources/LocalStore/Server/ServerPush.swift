import GRDB
import SyncModel
import SyncProtocol

/// Stores one push on a server file, inside the exchange's write transaction: the push is
/// sorted by the rule every store shares (``PushSort``), held versions are compared with what
/// is stored, and new ones are appended to `version` and to the feed, their records added with
/// their kinds. No field is merged: replicas do that.
struct ServerPush {
    private let db: Database
    /// Replicas looked up or added, by id: their row, stored counter and id's bytes (for the
    /// feed's chain, made once per replica rather than per version).
    private var replicas: [ReplicaID: Replica] = [:]
    /// Records looked up or added, by id: their row and kind.
    private var records: [RecordID: (row: Int64, kind: String)] = [:]
    private var nextRecordRow: Int64?
    private var recordRows = RowBuffer<RecordRowInsert>()
    private var versionRows = RowBuffer<VersionRowInsert>()
    private var feedRows = RowBuffer<FeedRowInsert>()
    private var clockPairs: [(row: Int64, counter: UInt64)] = []

    private struct Replica {
        var row: Int64
        var counter: UInt64
        var bytes: [UInt8]
    }

    private init(_ db: Database) {
        self.db = db
    }

    /// Stores `prepared` in the open transaction `db`; returns how many versions were new and how
    /// many were held already. Throws ``VersionRefusal`` for a gap, a reused dot or a record of
    /// another kind, and the whole transaction then changes nothing.
    static func store(_ prepared: PreparedVersions, _ db: Database) throws -> ApplyReport {
        var push = ServerPush(db)
        return try push.store(prepared)
    }

    private mutating func store(_ prepared: PreparedVersions) throws -> ApplyReport {
        // Read in place: a push of 20,000 versions is not copied into an array of its own.
        let sort = try PushSort(prepared.entries.lazy.map(\.version)) { try replica($0).counter }
        try sort.checkHeld { try storedVersion($0) }
        var report = ApplyReport()
        report.duplicates = sort.duplicates
        guard !sort.new.isEmpty else { return report }
        var head = try ServerFeed.head(db)
        for (version, position) in zip(sort.new, sort.newPositions) {
            let replica = try replica(version.dot.replica)
            let replicaRow = replica.row
            let record = try recordRow(version.record, kind: version.kind)
            if versionRows.flushesOnNextAppend { try recordRows.flush(db) }
            try versionRows.append(VersionRowInsert(
                replica: replicaRow, counter: Int64(version.dot.counter), record: record, kind: version.kind,
                field: version.field, context: try clockBlob(version.context), value: prepared.entries[position].valueText,
                author: version.author, time: version.time
            ), db)
            head = head.advanced(replicaBytes: replica.bytes, counter: version.dot.counter)
            try feedRows.append(FeedRowInsert(seq: Int64(head.seq), replica: replicaRow, counter: Int64(version.dot.counter),
                                              chain: Int64(bitPattern: head.chain)), db)
        }
        try recordRows.flush(db)
        try versionRows.flush(db)
        try feedRows.flush(db)
        let update = try db.cachedStatement(sql: "UPDATE replica SET counter = ? WHERE id = ?")
        for (replica, counter) in sort.raised {
            try update.execute(arguments: [Int64(counter), replicas[replica]!.row])
        }
        report.new = sort.new.count
        return report
    }

    /// The replica's row and stored counter; a replica not held yet gets a row at counter 0.
    private mutating func replica(_ id: ReplicaID) throws -> Replica {
        if let known = replicas[id] { return known }
        let entry: Replica
        if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, counter FROM replica WHERE uuid = ?"), arguments: [id.rawValue]) {
            entry = Replica(row: row[0], counter: UInt64(row[1] as Int64), bytes: id.bytes)
        } else {
            try db.cachedStatement(sql: "INSERT INTO replica (uuid, counter) VALUES (?, 0)").execute(arguments: [id.rawValue])
            entry = Replica(row: db.lastInsertedRowID, counter: 0, bytes: id.bytes)
        }
        replicas[id] = entry
        return entry
    }

    /// The record's row, after checking it is of `kind`; a record not held yet is added.
    private mutating func recordRow(_ id: RecordID, kind: String) throws -> Int64 {
        if records[id] == nil,
           let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, kind FROM record WHERE uuid = ?"), arguments: [id.rawValue]) {
            records[id] = (row[0], row[1])
        }
        if let known = records[id] {
            guard known.kind == kind else { throw VersionRefusal.kindMismatch(record: id, known: known.kind, got: kind) }
            return known.row
        }
        // The row id SQLite would give, so that the row can wait in `recordRows` with the others.
        if nextRecordRow == nil { nextRecordRow = (try Int64.fetchOne(db, sql: "SELECT max(id) FROM record") ?? 0) + 1 }
        let row = nextRecordRow!
        nextRecordRow = row + 1
        try recordRows.append(RecordRowInsert(id: row, uuid: id, kind: kind), db)
        records[id] = (row, kind)
        return row
    }

    /// `vector` as stored: its replicas by row id, in row order (a replica first named here gets a row).
    private mutating func clockBlob(_ vector: VersionVector) throws -> [UInt8] {
        var pairs = clockPairs
        clockPairs = []
        defer { clockPairs = pairs }
        return try ClockBlob.encode(vector, scratch: &pairs) { try replica($0).row }
    }

    /// The version stored at `dot`, or nil.
    private mutating func storedVersion(_ dot: Dot) throws -> Version? {
        let statement = try db.cachedStatement(sql: "SELECT \(VersionRow.columns) FROM \(VersionRow.tables) WHERE v.replica = ? AND v.counter = ?")
        guard let row = try Row.fetchOne(statement, arguments: [try replica(dot.replica).row, Int64(dot.counter)]) else { return nil }
        var names = ReplicaNames()
        return try VersionRow.decode(row, replica: dot.replica, offset: 0, names: &names, db)
    }
}
