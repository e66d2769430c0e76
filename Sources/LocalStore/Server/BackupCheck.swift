import Foundation
import GRDB
import SyncModel
public import SyncProtocol

/// What a checked server backup holds, for the operator's message.
public struct BackupSummary: Sendable, Equatable {
    /// Versions in the copy.
    public var versions: Int
    /// The copy's feed head: clients whose cursor is past it resend what they wrote after it.
    public var head: FeedCursor
    /// The copy's size on disk.
    public var bytes: Int64
}

/// Checks that a file is a sound copy of a server database before anyone relies on it:
/// SQLite's own `integrity_check`, then the feed's chain recomputed row by row from the
/// versions it names, as ``FeedCursor/advanced(by:)`` made it when each version arrived. A copy
/// torn between two transactions, or a feed row pointing at a version the copy lacks, fails here
/// instead of on the day it is restored.
enum BackupCheck {
    /// Checks the server database at `path`, a copy this process made and owns, after putting
    /// it in rollback-journal mode so that it stands alone as one file (no `-wal` to lose when
    /// it is moved).
    /// - Throws: ``BackupError/damaged(path:reason:)`` naming the first problem found.
    static func verify(_ path: String) throws -> BackupSummary {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path)
        } catch let error as DatabaseError {
            throw BackupError.damaged(path: path, reason: "SQLite cannot open it (\(DatabaseFile.reason(error)))")
        }
        do {
            defer { try? queue.close() }
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            let summary = try queue.read { db in try check(db, path: path) }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            return BackupSummary(versions: summary.versions, head: summary.head, bytes: size)
        } catch let error as DatabaseError {
            throw BackupError.damaged(path: path, reason: DatabaseFile.reason(error))
        }
    }

    private static func check(_ db: Database, path: String) throws -> (versions: Int, head: FeedCursor) {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        guard applicationID == DatabaseFile.applicationID,
              try db.tableExists("feed"), try db.tableExists("analyst") else {
            throw BackupError.damaged(path: path, reason: "it is not a sync-server database")
        }
        let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check")
        guard problems == ["ok"] else {
            throw BackupError.damaged(path: path, reason: "PRAGMA integrity_check found: \(problems.prefix(3).joined(separator: "; "))")
        }
        var position = FeedCursor.start
        let rows = try Row.fetchCursor(db, sql: """
            SELECT f.seq, f.chain, r.uuid, f.counter, v.counter IS NOT NULL
            FROM feed f LEFT JOIN replica r ON r.id = f.replica
            LEFT JOIN version v ON v.replica = f.replica AND v.counter = f.counter
            ORDER BY f.seq
            """)
        while let row = try rows.next() {
            let seq = UInt64(row[0] as Int64)
            guard seq == position.seq + 1 else {
                throw BackupError.damaged(path: path, reason: "the feed jumps from position \(position.seq) to \(seq)")
            }
            guard let uuid = row[2] as String?, let replica = ReplicaID(uuid), row[4] as Bool else {
                throw BackupError.damaged(path: path, reason: "feed position \(seq) names a version the file does not hold")
            }
            position = position.advanced(by: Dot(replica: replica, counter: UInt64(row[3] as Int64)))
            guard position.chain == UInt64(bitPattern: row[1] as Int64) else {
                throw BackupError.damaged(path: path, reason: "the feed's chain breaks at position \(seq)")
            }
        }
        let versions = try Int.fetchOne(db, sql: "SELECT count(*) FROM version") ?? 0
        guard UInt64(versions) == position.seq else {
            throw BackupError.damaged(path: path, reason: "it holds \(versions) versions but its feed lists \(position.seq)")
        }
        return (versions, position)
    }
}

/// Why a backup or restore did not happen; the target was left as it was.
public enum BackupError: Error, CustomStringConvertible, Equatable {
    /// The target exists and `--force` was not given.
    case exists(String)
    /// The copy or the backup failed its check.
    case damaged(path: String, reason: String)
    /// The file system refused (permissions, space, a missing folder).
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .exists(let path):
            "\(path) already exists; choose another file, or pass --force to replace it"
        case .damaged(let path, let reason):
            "\(path) is not a sound server backup: \(reason); nothing was replaced (take a new backup from the serving database, or restore an older one)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason); nothing was replaced (check the folder exists, its permissions and free space)"
        }
    }
}
