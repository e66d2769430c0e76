// Speed machinery: versions read on a pool reader's thread while the writer derives field states.
import Foundation
import GRDB
import SyncModel

/// Every stored version in (record, field) order, decoded for deriving field states and handed
/// over in chunks.
///
/// On a file the reading runs on one of the pool's readers, on a thread of its own, while the
/// writer folds and writes what it was handed: a first sync's derivation spends about half its
/// time stepping through the field index and decoding versions and half merging and writing
/// field states, and the two halves share no connection.
enum StoredVersions {
    /// One stored version, its value still as stored text (most versions of a field are covered
    /// by a later one, and their values are never decoded).
    struct Row: Sendable {
        /// The `record` table's row id.
        var recordRow: Int64
        var version: Version
        var value: String
    }

    /// Reads every version on `db` and calls `emit` with chunks of `chunk` versions (the last
    /// may hold fewer), in (record, field) order.
    static func read(_ db: Database, chunk: Int, emit: ([Row]) throws -> Void) throws {
        var names = ReplicaNames()
        let statement = try db.makeStatement(sql: """
            SELECT v.replica, v.record, \(VersionRow.columns)
            FROM version v INDEXED BY version_by_field JOIN record rec ON rec.id = v.record
            ORDER BY v.record, v.field
            """)
        let rows = try GRDB.Row.fetchCursor(statement)
        var current: (row: Int64, id: RecordID)?
        var batch: [Row] = []
        batch.reserveCapacity(chunk)
        while let row = try rows.next() {
            let replicaRow: Int64 = row[0], recordRow: Int64 = row[1]
            // Each record's id is parsed once, at its first version.
            let (version, value) = try VersionRow.decodeLeavingValue(row, statement: statement.sqliteStatement,
                                                                     replica: try names.id(row: replicaRow, db),
                                                                     record: current?.row == recordRow ? current?.id : nil,
                                                                     offset: 2, names: &names, db)
            current = (recordRow, version.record)
            batch.append(Row(recordRow: recordRow, version: version, value: value))
            if batch.count >= chunk {
                try emit(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try emit(batch) }
    }

    /// The page cache of the reader thread: a scan in index order gains little from a large one.
    static let readerCacheKiB = 4096

    /// Runs `body`, a scan, on `db` with the small page cache of ``readerCacheKiB``, then gives
    /// the connection its usual cache again: a large one would gain the scan little and stay
    /// allocated, full, for as long as the connection lives.
    static func scanning<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA cache_size = -\(readerCacheKiB)")
        defer { try? db.execute(sql: "PRAGMA cache_size = -\(Store.cacheKiB)") }
        return try body()
    }

    /// The same, read on one of `pool`'s readers on another thread while `consume` runs on this
    /// one; at most `ahead` chunks wait between the two. The reader sees what was last
    /// committed, so the caller's transaction must not have written versions yet. Returns when
    /// the reader has stopped, having thrown the first error of either side.
    static func read(_ pool: DatabasePool, chunk: Int, ahead: Int = 2, consume: ([Row]) throws -> Void) throws {
        let handoff = Handoff<[Row]>(capacity: ahead)
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            defer { stopped.signal() }
            do {
                try pool.read { db in
                    try scanning(db) {
                        try read(db, chunk: chunk) { rows in
                            guard handoff.put(rows) else { throw CancellationError() }
                        }
                    }
                }
                handoff.finish(nil)
            } catch {
                handoff.finish(error)
            }
        }
        defer {
            handoff.cancel()
            stopped.wait()
        }
        while let rows = try handoff.take() { try consume(rows) }
    }
}
