import GRDB
import SyncModel
import SyncProtocol

/// Rows the batch appends, and the replicas and records it looks up once and caches.
extension ApplyBatch {
    /// Holds a new version's row; when that inserts the held version rows, the held records
    /// go in first (a version's row names its record's, and SQLite checks that it exists).
    mutating func appendVersion(_ row: VersionRowInsert) throws {
        if versionRows.flushesOnNextAppend { try recordRows.flush(db) }
        try versionRows.append(row, db)
    }

    /// Inserts the held `record` and `version` rows: before anything reads these tables back.
    mutating func flushRows() throws {
        try recordRows.flush(db)
        try versionRows.flush(db)
    }

    // MARK: - Loading

    /// `vector` as stored: its replicas by row id, in row order (a replica first named here gets a row).
    mutating func clockBlob(_ vector: VersionVector) throws -> [UInt8] {
        var pairs = clockPairs
        clockPairs = []
        defer { clockPairs = pairs }
        return try ClockBlob.encode(vector, scratch: &pairs) { try replicaEntry($0).rowID }
    }

    /// `dots` as stored, in their order.
    mutating func clockBlob(_ dots: [Dot]) throws -> [UInt8] {
        ClockBlob.encode(try dots.map { (try replicaEntry($0.replica).rowID, $0.counter) })
    }

    mutating func replicaEntry(_ replica: ReplicaID) throws -> ReplicaEntry {
        if let entry = replicas[replica] { return entry }
        let entry: ReplicaEntry
        var select = try DirectStatement(db.cachedStatement(sql: "SELECT id, counter FROM replica WHERE uuid = ?"))
        select.bind(replica)
        if let (rowID, counter) = try select.firstRow({ row in (row.int64(0), row.int64(1)) }) {
            entry = ReplicaEntry(rowID: rowID, counter: UInt64(counter))
        } else {
            try db.cachedStatement(sql: "INSERT INTO replica (uuid, counter) VALUES (?, 0)").execute(arguments: [replica.rawValue])
            entry = ReplicaEntry(rowID: db.lastInsertedRowID, counter: 0)
        }
        replicas[replica] = entry
        names.note(row: entry.rowID, id: replica)
        return entry
    }

    /// The record's row id, after checking it is of `kind`; a record not held yet is added.
    mutating func checkKind(record: RecordID, kind: String) throws -> Int64 {
        if let known = try recordEntry(record) {
            guard known.kind == kind else { throw VersionRefusal.kindMismatch(record: record, known: known.kind, got: kind) }
            return known.rowID
        }
        let entry = RecordEntry(rowID: try newRecordRow(), kind: kind)
        try recordRows.append(RecordRowInsert(id: entry.rowID, uuid: record, kind: kind), db)
        records[record] = entry
        return entry.rowID
    }

    /// The row id of the batch's next new record: the largest in the table plus one, as SQLite
    /// itself would give, so that a new record's row can wait in ``recordRows`` (the batch
    /// holds its entry, so nothing looks it up in the table meanwhile).
    mutating func newRecordRow() throws -> Int64 {
        if nextRecordRow == nil {
            let select = try DirectStatement(db.cachedStatement(sql: "SELECT max(id) FROM record"))
            let largest = try select.firstRow { $0.int64(0) } ?? 0
            guard largest < Int64.max else {
                throw StoreError.writeFailed(reason: "the record table's row ids are used up; run PRAGMA integrity_check")
            }
            nextRecordRow = largest + 1
        }
        defer { nextRecordRow! += 1 }
        return nextRecordRow!
    }

    /// The record's row id and kind, or nil if the store does not hold it.
    mutating func recordEntry(_ record: RecordID) throws -> RecordEntry? {
        if let known = records[record] { return known }
        // What the preload did not find does not exist.
        guard preloaded[record] == nil else { return nil }
        var select = try DirectStatement(db.cachedStatement(sql: "SELECT id, kind FROM record WHERE uuid = ?"))
        select.bind(record)
        guard let entry = try select.firstRow({ row in RecordEntry(rowID: row.int64(0), kind: row.text(1) ?? "") }) else { return nil }
        records[record] = entry
        return entry
    }
}
