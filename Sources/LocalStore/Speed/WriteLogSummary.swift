// Speed machinery: what the write log holds, kept in memory while nothing else changes the file.
import Foundation
import GRDB
import GRDBSQLite
import SyncModel

/// What a replica's write log holds, as the connection that appends to it last committed it:
/// its size and last counter, the kind of every record it names, and its last write of every
/// field with that write's context. With it a logged write scans nothing and looks up no
/// replica; it reads only the field's stored state, and not even that for a field the log holds.
///
/// A summary is trusted only while nothing else has changed the file: SQLite's
/// `PRAGMA data_version` (which moves when another connection commits) and this connection's
/// count of changed rows (`sqlite3_total_changes64`, which moves with every insert, update or
/// delete it runs, committed or rolled back) must both be what they were when the summary was
/// made. Any fold, sync, direct write or other program's write therefore retires it, and the
/// next logged write reads the log again (256 rows at most).
struct WriteLogSummary {
    var replica: ReplicaID
    /// The `replica` rows met, this replica's own among them: exact while the summary is
    /// trusted, as logged writes change no replica row.
    var replicas: [ReplicaID: ApplyBatch.ReplicaEntry] = [:]
    var names = ReplicaNames()
    var count = 0
    /// The log's highest counter (0 when empty).
    var last: Int64 = 0
    /// The kind of each record the log names, checked when it was logged.
    var kinds: [RecordID: String] = [:]
    /// The log's last write of each field: its counter and context.
    var fields: [ApplyBatch.FieldKey: (counter: Int64, context: VersionVector)] = [:]
    var dataVersion: Int64
    var totalChanges: Int64 = 0
    /// Whether a write found no read-only clearance while this summary was trusted: the next
    /// logged write needs no clearance check, as nothing has changed the file since.
    var clearedToWrite = false

    /// The summary of the log as it is in `db` now; nil while a first sync's field states are
    /// underived (a write then folds the log and goes directly).
    static func read(_ db: Database, replica: ReplicaID) throws -> WriteLogSummary? {
        guard try !ApplyBatch.fieldsPending(db) else { return nil }
        var summary = WriteLogSummary(replica: replica, dataVersion: try dataVersion(db))
        let statement = try db.cachedStatement(sql: "SELECT counter, record, kind, field, context FROM write_log ORDER BY counter")
        let rows = try Row.fetchCursor(statement)
        while let row = try rows.next() {
            guard let record = RecordID(row[1] as String) else { throw WriteLog.damaged("a malformed record id") }
            let counter: Int64 = row[0]
            summary.count += 1
            summary.last = counter
            summary.kinds[record] = row[2]
            summary.fields[ApplyBatch.FieldKey(record: record, field: row[3])] =
                (counter, try summary.names.vector(row, 4, in: statement.sqliteStatement, db))
        }
        return summary
    }

    /// Whether nothing has changed the file since the summary was made.
    func isCurrent(_ db: Database, replica: ReplicaID) throws -> Bool {
        guard replica == self.replica, totalChanges == sqlite3_total_changes64(db.sqliteConnection) else { return false }
        return try dataVersion == Self.dataVersion(db)
    }

    /// Notes the write just appended at `counter`; the summary is then as of now.
    mutating func note(_ version: Version, _ db: Database) {
        count += 1
        last = Int64(version.dot.counter)
        kinds[version.record] = version.kind
        fields[ApplyBatch.FieldKey(record: version.record, field: version.field)] = (last, version.context)
        totalChanges = sqlite3_total_changes64(db.sqliteConnection)
    }

    private static func dataVersion(_ db: Database) throws -> Int64 {
        let query = try DirectStatement(db.cachedStatement(sql: "PRAGMA data_version"))
        return try query.firstRow { $0.int64(0) } ?? 0
    }
}

/// A store's ``WriteLogSummary``, shared by every copy of the store value. A logged write
/// leaves its summary pending; ``Store/transaction(foldingLog:_:)`` keeps it once the
/// transaction commits and drops it if it fails, so a summary never describes a write that
/// was rolled back. Used on the store's writer only; the lock makes it safe to share.
final class WriteLogSummaryCache: @unchecked Sendable {
    private let lock = NSLock()
    private var committed: WriteLogSummary?
    private var pending: WriteLogSummary?

    /// Takes the committed summary, if nothing has changed the file since it was made. Taken,
    /// not copied, so that the write changes its tables in place (a copy left here would make
    /// every write copy them whole); the transaction's ``settle(committed:)`` puts one back.
    func take(_ db: Database, replica: ReplicaID) throws -> WriteLogSummary? {
        guard let summary = lock.withLock({ () -> WriteLogSummary? in
            defer { committed = nil }
            return committed
        }) else { return nil }
        return try summary.isCurrent(db, replica: replica) ? summary : nil
    }

    func setPending(_ summary: WriteLogSummary) {
        lock.withLock { pending = summary }
    }

    /// Ends a transaction: a pending summary becomes the committed one if it committed.
    func settle(committed didCommit: Bool) {
        lock.withLock {
            if didCommit, let pending { committed = pending }
            pending = nil
        }
    }
}
