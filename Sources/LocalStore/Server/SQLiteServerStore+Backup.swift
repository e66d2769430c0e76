import Foundation
import GRDB
import SyncModel
import SyncProtocol
#if canImport(Glibc)
import Glibc
#endif

/// Backups of a serving store and their restore: a consistent copy taken without stopping the
/// server, checked (``BackupCheck``) before it is trusted, and moved into place atomically, so a
/// target path holds either its old file or a whole, checked copy, never part of one.
extension SQLiteServerStore {
    /// How the copy is read out of the live database (see docs/server.md, "Backups", for the
    /// measurement that chose the default).
    package enum BackupMethod: String, Sendable, CaseIterable {
        /// SQLite's online backup API in one step, inside one read transaction: pages copied
        /// as they are, while writers go on appending to the write-ahead log.
        case backupAPI = "backup-api"
        /// `VACUUM INTO`, also one read transaction: the tables rebuilt into a compact file.
        case vacuumInto = "vacuum-into"
    }

    /// The meta keys recording the last backup, for `sync-server status`.
    static let lastBackupTimeKey = "last_backup_time"
    static let lastBackupFileKey = "last_backup_file"

    /// Copies this store to `target` while it may be serving, checks the copy, moves it into
    /// place and records the time in this store.
    /// - Parameters:
    ///   - force: replace a file already at `target` (otherwise refused).
    ///   - time: the wall-clock time recorded as the last backup's.
    /// - Throws: ``BackupError``; the target is left as it was.
    public func backup(to target: String, force: Bool, at time: Int64) throws -> BackupSummary {
        try backup(to: target, force: force, at: time, method: .backupAPI)
    }

    package func backup(to target: String, force: Bool, at time: Int64, method: BackupMethod) throws -> BackupSummary {
        guard force || !FileManager.default.fileExists(atPath: target) else { throw BackupError.exists(target) }
        let temporary = Self.temporaryPath(beside: target)
        defer { Self.removeDatabaseFiles(temporary) }
        do {
            switch method {
            case .backupAPI:
                let copy = try DatabaseQueue(path: temporary)
                try writer.backup(to: copy)
                try copy.close()
            case .vacuumInto:
                // VACUUM refuses to run inside a transaction; the statement reads one snapshot itself.
                try writer.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [temporary]) }
            }
        } catch let error as DatabaseError {
            throw BackupError.cannotWrite(path: target, reason: DatabaseFile.reason(error))
        }
        let summary = try BackupCheck.verify(temporary)
        try Self.place(temporary, at: target, force: force)
        try write { db in
            try Meta.set(Self.lastBackupTimeKey, String(time), db)
            try Meta.set(Self.lastBackupFileKey, target, db)
        }
        return summary
    }

    /// The last backup's time and file, if one was recorded.
    public func lastBackup() throws -> (time: Int64, file: String)? {
        try read { db in
            guard let time = try Meta.get(Self.lastBackupTimeKey, db).flatMap({ Int64($0) }) else { return nil }
            return (time, try Meta.get(Self.lastBackupFileKey, db) ?? "")
        }
    }

    /// Checks the backup at `source`, then copies it to `target` atomically. The caller makes
    /// sure no server holds `target` (see the `sync-server restore` command).
    /// - Throws: ``BackupError``; the target is left as it was.
    public static func restore(from source: String, to target: String, force: Bool) throws -> BackupSummary {
        guard FileManager.default.fileExists(atPath: source) else {
            throw BackupError.cannotWrite(path: target, reason: "the backup \(source) does not exist")
        }
        guard force || !FileManager.default.fileExists(atPath: target) else { throw BackupError.exists(target) }
        let temporary = temporaryPath(beside: target)
        defer { removeDatabaseFiles(temporary) }
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
        } catch {
            throw BackupError.cannotWrite(path: target, reason: "copying \(source) failed (\(error.localizedDescription))")
        }
        let summary: BackupSummary
        do {
            summary = try BackupCheck.verify(temporary)
        } catch BackupError.damaged(_, let reason) {
            throw BackupError.damaged(path: source, reason: reason)
        }
        try place(temporary, at: target, force: force)
        return summary
    }

    /// A name in `target`'s folder (so the final rename stays on one file system), hidden.
    private static func temporaryPath(beside target: String) -> String {
        let url = URL(fileURLWithPath: target)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString)").path
    }

    private static func removeDatabaseFiles(_ path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Moves the checked copy to `target`: `link` when nothing may be replaced (it fails rather
    /// than replace a file that appeared meanwhile), `rename` with `force`, after removing the
    /// old file's `-wal` and `-shm`, which SQLite would otherwise replay onto the new file.
    private static func place(_ temporary: String, at target: String, force: Bool) throws {
        syncFile(temporary)
        if force {
            for suffix in ["-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: target + suffix) }
            guard rename(temporary, target) == 0 else {
                throw BackupError.cannotWrite(path: target, reason: String(cString: strerror(errno)))
            }
        } else {
            guard link(temporary, target) == 0 else {
                if errno == EEXIST { throw BackupError.exists(target) }
                throw BackupError.cannotWrite(path: target, reason: String(cString: strerror(errno)))
            }
        }
        syncFolder(of: target)
    }
}

/// Makes a rename in `path`'s folder durable (the folder's entry, not only the file's data).
private func syncFolder(of path: String) {
    syncFile(URL(fileURLWithPath: path).deletingLastPathComponent().path)
}

/// Flushes a file (or folder) to disk, so the copy is whole before its name points at it.
private func syncFile(_ path: String) {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}
