import CSQLiteConfig
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import GRDBSQLite

/// Opening a field-sync SQLite file: a replica's (``Store``) or a server's
/// (``SQLiteServerStore``). Each names its ``Kind``: the role written in the file, its schema's
/// migrations, and how a missing file is reported. A foreign, newer, corrupt or other-role file
/// is refused untouched.
enum DatabaseFile {
    /// What one side's files are.
    struct Kind: Sendable {
        /// The role the file's `meta` table records: "replica" or "server".
        var role: String
        /// Every migration of the side's schema, since its first version.
        var migrator: @Sendable () -> DatabaseMigrator
        /// The identifiers ``migrator`` registers: any other in a file was written by a newer build.
        var migrations: Set<String>
        /// A file name to suggest when the path names a folder.
        var exampleName: String
        /// The error for a path that does not exist when no file may be made there.
        var missing: @Sendable (String) -> StoreError
        /// Whether a file the system will not let us write opens read-only (a replica's reads
        /// still work) instead of being refused (a server needs to write).
        var opensReadOnly: Bool
    }

    /// `PRAGMA application_id` of every field-sync database ('FSNC').
    static let applicationID: Int32 = 0x4653_4E43

    /// How long a connection waits for another program's lock on the file before it gives up.
    static let busySeconds: TimeInterval = 10

    /// Configures SQLite for this process before its first connection (see ``Store/configureSQLite()``).
    static let sqliteConfigured = fieldsync_sqlite_disable_memstatus() == SQLITE_OK

    /// What a person can act on, for SQLite's `error`: its own message, except for a lock that
    /// another program held past ``busySeconds``, which SQLite calls "database is locked".
    static func reason(_ error: DatabaseError) -> String {
        if error.resultCode == .SQLITE_BUSY {
            return "another command kept the file busy for over \(Int(busySeconds)) seconds (a sync or an import still running?); run this one again when it has finished"
        }
        return error.message ?? error.description
    }

    /// Opens (creating it when `create` allows) the database at `path`, checking it belongs to
    /// field-sync and to `kind`'s role, and migrating it. A new file is readable by the user only
    /// (both sides keep token material).
    static func open(path: String, kind: Kind, create: Bool) throws -> any DatabaseWriter {
        _ = sqliteConfigured
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        let exists = manager.fileExists(atPath: path, isDirectory: &isFolder)
        if exists && isFolder.boolValue {
            throw StoreError.cannotOpen(path: path, reason: "it is a folder; name a file, for example \((path as NSString).appendingPathComponent(kind.exampleName))")
        }
        if !exists, let destination = try? manager.destinationOfSymbolicLink(atPath: path) {
            throw StoreError.cannotOpen(path: path, reason: "it is a symbolic link to \(destination), which does not exist; name the file itself")
        }
        if !exists && !create { throw kind.missing(path) }
        if exists {
            try inspect(path: path, kind: kind)
            if access(path, W_OK) != 0 {
                guard kind.opensReadOnly else { throw StoreError.readOnly(path: path) }
                return try openReadOnly(path: path, kind: kind)
            }
        } else {
            // A missing folder is a mistyped path more often than a wish: refused, as `export`
            // does (the client makes its default folder itself).
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty && !manager.fileExists(atPath: directory) {
                throw StoreError.cannotOpen(path: path, reason: "the folder \(directory) does not exist; create it first (mkdir -p \(directory)) or choose another path")
            }
            // Made empty with mode 0600 before SQLite opens it: SQLite gives the -wal and -shm
            // files it makes beside it the database's mode, and they hold the same data (the
            // sync token on a replica, the tokens' hashes on a server).
            let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw StoreError.cannotOpen(path: path, reason: "cannot create it: \(String(cString: strerror(errno)))")
            }
            Glibc.close(descriptor)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(busySeconds)
        // No foreign-key check on every insert: the write paths find or add a version's replica
        // and record in the same transaction before they store the version, so the check could
        // not fail, and it was 4% of the instructions of a first sync and of local writes. The
        // in-memory stores the tests use keep it on, and the end-to-end tests run
        // `PRAGMA foreign_key_check` on the real binaries' files.
        configuration.foreignKeysEnabled = false
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -\(Store.cacheKiB)")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Store.walAutocheckpointPages)")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try kind.migrator().migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: reason(error))
        }
        return pool
    }

    /// A fresh database of `kind` in memory, for tests and benchmarks.
    static func inMemory(kind: Kind) throws -> DatabaseQueue {
        _ = sqliteConfigured
        let queue = try DatabaseQueue()
        try kind.migrator().migrate(queue)
        return queue
    }

    /// Opens a file the system will not let us write: every read works, every write fails with
    /// ``StoreError/readOnly(path:)`` and changes nothing.
    private static func openReadOnly(path: String, kind: Kind) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busySeconds)  // as `inspect`: another program may be writing it
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            guard try queue.read({ db in try kind.migrator().hasCompletedMigrations(db) }) else {
                throw StoreError.readOnly(path: path)
            }
            return queue
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: reason(error))
        }
    }

    /// Reads the header of an existing file without writing to it.
    private static func inspect(path: String, kind: Kind) throws {
        var configuration = Configuration()
        configuration.readonly = true
        // Wait, as the store's own connections do: another command opening or closing the file
        // holds it alone for a moment (recovering or checkpointing its write-ahead log), and a
        // look without a wait failed then with "database is locked".
        configuration.busyMode = .timeout(busySeconds)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            try queue.read { db in
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if applicationID != Self.applicationID {
                    if tables == 0 { return }
                    throw StoreError.notAStore(path: path)
                }
                let found = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'role'") ?? "?"
                if found != kind.role {
                    throw StoreError.wrongRole(path: path, found: found, expected: kind.role)
                }
                let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                let unknown = applied.filter { !kind.migrations.contains($0) }
                if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknown: unknown) }
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            throw StoreError.notAStore(path: path)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: reason(error))
        }
    }

    // MARK: - Transactions

    /// Closes the file, leaving it whole in the main file (no write-ahead log beside it), and
    /// fails if another connection still has it open. The writer is unusable afterwards.
    static func close(_ writer: any DatabaseWriter, path: String) throws {
        guard let pool = writer as? DatabasePool else { return }
        do {
            pool.releaseMemory()  // closes this pool's idle readers
            let mode = try pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
            guard mode?.lowercased() == "delete" else {
                throw StoreError.writeFailed(reason: "another program has \(path) open; close other commands using it and try again")
            }
            try pool.close()
        } catch let error as DatabaseError {
            throw StoreError.writeFailed(reason: "another program has \(path) open (\(error.message ?? error.description)); close other commands using it and try again")
        }
    }

    /// Runs `body` between `BEGIN IMMEDIATE` and `COMMIT`, rolling back if anything fails, as
    /// GRDB's `inTransaction` does, but with statements prepared once per connection: GRDB
    /// prepares both anew for every transaction, about a fifth of a single local write's
    /// instructions. Immediate, as GRDB's are: the write lock is taken at the start, so a
    /// transaction never fails half-way because another process began writing first.
    static func inWriteTransaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try DirectStatement(db.cachedStatement(sql: "BEGIN IMMEDIATE")).run()
        do {
            let result = try body()
            try DirectStatement(db.cachedStatement(sql: "COMMIT")).run()
            return result
        } catch {
            // Some failures (a full disk, an I/O error) roll SQLite back by themselves; GRDB's
            // rollback asks first, and the first error is the one reported.
            try? db.rollback()
            throw error
        }
    }

    /// What a failed write says: nothing was written, and why.
    static func writeError(_ error: DatabaseError, path: String) -> StoreError {
        if error.resultCode == .SQLITE_READONLY { return .readOnly(path: path) }
        return .writeFailed(reason: reason(error))
    }

    /// Runs `body` in one write transaction on `writer`, mapping SQLite failures (full disk,
    /// read-only file) to a ``StoreError`` that says nothing was written.
    static func write<T>(_ writer: any DatabaseWriter, path: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.writeWithoutTransaction { db in try inWriteTransaction(db) { try body(db) } }
        } catch let error as DatabaseError {
            throw writeError(error, path: path)
        }
    }

    /// ``write(_:path:_:)``, suspending instead of blocking the caller's thread.
    static func write<T: Sendable>(_ writer: any DatabaseWriter, path: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.writeWithoutTransaction { db in try inWriteTransaction(db) { try body(db) } }
        } catch let error as DatabaseError {
            throw writeError(error, path: path)
        }
    }

    /// Runs `body` on a consistent view of the file: a snapshot on a pool; on a queue (every
    /// in-memory store), which serializes all access, directly, without a read-only savepoint.
    static func read<T>(_ writer: any DatabaseWriter, path: String, _ body: (Database) throws -> T) throws -> T {
        do {
            if let queue = writer as? DatabaseQueue { return try queue.inDatabase(body) }
            return try writer.read(body)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: reason(error))
        }
    }
}
