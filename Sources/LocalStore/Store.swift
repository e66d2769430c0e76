package import GRDB
import CSQLiteConfig
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDBSQLite
public import SyncModel
public import SyncProtocol

/// A set of versions and the field state they determine, in one SQLite file.
///
/// Used by the client (a ``Replica``) and by the server (a ``ServerStore``). Every public
/// method that writes is one transaction: it happens whole or not at all.
public struct Store: Sendable {
    /// The GRDB writer (a pool in WAL mode on files, a queue in memory).
    package let writer: any DatabaseWriter
    public let schemas: SchemaRegistry
    public let path: String
    /// Which side's schema the file has; a server's stores keep a feed.
    let role: StoreSchema.Role
    /// The largest value accepted, in bytes.
    public var maxValueBytes: Int = ValueRules.defaultMaxValueBytes
    /// How many single local writes a replica's write log holds before it is folded (0: none is
    /// logged, every write goes directly; see ``WriteLog``).
    var writeLogCapacity = WriteLog.defaultCapacity
    /// Whether a replica's batch of local writes is taken field by field (see
    /// ``ApplyBatch/writeLocal(_:values:replica:author:time:)``) rather than one by one in the
    /// batch's order; tests turn it off to compare the two.
    var groupsLocalWrites = true
    /// What the write log holds, as this store's writer last committed it (see ``WriteLogSummary``).
    let logSummaries = WriteLogSummaryCache()

    init(writer: any DatabaseWriter, path: String, role: StoreSchema.Role, schemas: SchemaRegistry) {
        self.writer = writer
        self.path = path
        self.role = role
        self.schemas = schemas
    }

    /// Configures SQLite for this process, which must happen before its first connection: no
    /// memory statistics, so that SQLite's allocations (a few per stored version) take no global
    /// mutex. Opening a store calls it; a program that opens SQLite otherwise first calls it
    /// itself. Returns whether it took effect (false after the process's first connection).
    @discardableResult
    public static func configureSQLite() -> Bool { sqliteConfigured }

    private static let sqliteConfigured = fieldsync_sqlite_disable_memstatus() == SQLITE_OK

    /// Each connection's page cache.
    public static let cacheKiB = 32768

    /// Pages the write-ahead log may hold before a commit copies them into the file (SQLite's
    /// default is 1,000). A sync that brings edits of records spread over a large store changes
    /// leaf pages at random, and a page a later transaction changes again is copied into the file
    /// once per checkpoint it appears in, each checkpoint paying two `fdatasync`s; with 10,000
    /// pages (at most about 40 MB of log) most of a large pull's pages are copied once.
    public static let walAutocheckpointPages = 10_000

    /// How long a connection waits for another program's lock on the file before it gives up.
    static let busySeconds: TimeInterval = 10

    /// What a person can act on, for SQLite's `error`: its own message, except for a lock that
    /// another program held past ``busySeconds``, which SQLite calls "database is locked".
    static func reason(_ error: DatabaseError) -> String {
        if error.resultCode == .SQLITE_BUSY {
            return "another command kept the file busy for over \(Int(busySeconds)) seconds (a sync or an import still running?); run this one again when it has finished"
        }
        return error.message ?? error.description
    }

    /// Opens (creating if needed) the database at `path`, checking it belongs to field-sync and
    /// to this role, and migrating it. A foreign, newer or corrupt file is refused untouched.
    static func open(path: String, role: StoreSchema.Role, create: Bool, schemas: SchemaRegistry = .standard) throws -> Store {
        configureSQLite()
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        let exists = manager.fileExists(atPath: path, isDirectory: &isFolder)
        if exists && isFolder.boolValue {
            throw StoreError.cannotOpen(path: path, reason: "it is a folder; name a file, for example \((path as NSString).appendingPathComponent(role == .replica ? "replica.sqlite" : "server.sqlite"))")
        }
        if !exists, let destination = try? manager.destinationOfSymbolicLink(atPath: path) {
            throw StoreError.cannotOpen(path: path, reason: "it is a symbolic link to \(destination), which does not exist; name the file itself")
        }
        if !exists && !create {
            throw role == .replica ? StoreError.notInitialized(path: path) : StoreError.cannotOpen(path: path, reason: "no such file; check the path (a new server database is made only by `sync-server serve` without --db, or with --create)")
        }
        if exists {
            try inspect(path: path, role: role)
            if access(path, W_OK) != 0 {
                // A replica the system will not let us write is still readable; a server needs to write.
                guard role == .replica else { throw StoreError.readOnly(path: path) }
                return try openReadOnly(path: path, role: role, schemas: schemas)
            }
        } else {
            // A missing folder is a mistyped path more often than a wish: refused, as `export`
            // does (the client makes its default folder itself).
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty && !manager.fileExists(atPath: directory) {
                throw StoreError.cannotOpen(path: path, reason: "the folder \(directory) does not exist; create it first (mkdir -p \(directory)) or choose another path")
            }
            // Made empty with mode 0600 before SQLite opens it: SQLite gives the -wal and -shm
            // files it makes beside it the database's mode, and they hold the same data.
            let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw StoreError.cannotOpen(path: path, reason: "cannot create it: \(String(cString: strerror(errno)))")
            }
            Glibc.close(descriptor)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(busySeconds)
        // No foreign-key check on every insert: the apply path finds or adds a version's replica
        // and record in the same transaction before it stores the version, so the check could
        // not fail, and it was 4% of the instructions of a first sync and of local writes. The
        // in-memory stores the tests use keep it on, and the end-to-end tests run
        // `PRAGMA foreign_key_check` on the real binaries' files.
        configuration.foreignKeysEnabled = false
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(walAutocheckpointPages)")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try StoreSchema.migrator(role: role).migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: Self.reason(error))
        }
        if !exists {
            // Replicas hold the sync token: readable by the user only.
            try? manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        }
        return Store(writer: pool, path: path, role: role, schemas: schemas)
    }

    /// Opens a file the system will not let us write: every read works, every write fails with
    /// ``StoreError/readOnly(path:)`` and changes nothing.
    private static func openReadOnly(path: String, role: StoreSchema.Role, schemas: SchemaRegistry) throws -> Store {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busySeconds)  // as `inspect`: another program may be writing it
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            guard try queue.read({ db in try StoreSchema.migrator(role: role).hasCompletedMigrations(db) }) else {
                throw StoreError.readOnly(path: path)
            }
            return Store(writer: queue, path: path, role: role, schemas: schemas)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: Self.reason(error))
        }
    }

    /// Reads the header of an existing file without writing to it.
    private static func inspect(path: String, role: StoreSchema.Role) throws {
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
                if applicationID != StoreSchema.applicationID {
                    if tables == 0 { return }
                    throw StoreError.notAStore(path: path)
                }
                let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                let unknown = applied.filter { !StoreSchema.knownMigrations.contains($0) }
                if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknown: unknown) }
                let found = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'role'") ?? "?"
                if found != role.rawValue {
                    throw StoreError.wrongRole(path: path, found: found, expected: role.rawValue)
                }
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT {
            throw StoreError.notAStore(path: path)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: Self.reason(error))
        }
    }

    /// A fresh store in memory, for tests and benchmarks.
    static func inMemory(role: StoreSchema.Role, schemas: SchemaRegistry = .standard) throws -> Store {
        configureSQLite()
        let queue = try DatabaseQueue()
        try StoreSchema.migrator(role: role).migrate(queue)
        return Store(writer: queue, path: ":memory:", role: role, schemas: schemas)
    }

    /// Closes the file, leaving it whole in the main file (no write-ahead log beside it), and
    /// fails if another connection still has it open. The store is unusable afterwards.
    public func close() throws {
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

    /// Runs `body` in one write transaction, mapping SQLite failures (full disk, read-only file)
    /// to a ``StoreError`` that says nothing was written. On a replica, the write log is folded
    /// first, in the same transaction (see ``WriteLog``), unless `foldingLog` is false: only a
    /// local write, which decides itself, passes false. A write log summary the body leaves
    /// pending is kept if the transaction commits, and dropped if it fails.
    func transaction<T>(foldingLog: Bool = true, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                var committed = false
                defer { logSummaries.settle(committed: committed) }
                let result = try Self.inWriteTransaction(db) {
                    if foldingLog { try foldLog(db) }
                    return try body(db)
                }
                committed = true
                return result
            }
        } catch let error as DatabaseError {
            throw writeError(error)
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

    /// On a replica, folds the write log in the open write transaction (see ``WriteLog``).
    private func foldLog(_ db: Database) throws {
        if role == .replica { try WriteLog.fold(self, db) }
    }

    /// Folds a replica's write log in a transaction of its own; a read-only file that holds
    /// logged writes says so.
    func foldLog() throws {
        do {
            try transaction { _ in }
        } catch StoreError.readOnly {
            throw StoreError.unfoldedWrites(path: path)
        }
    }

    private func writeError(_ error: DatabaseError) -> StoreError {
        if error.resultCode == .SQLITE_READONLY { return .readOnly(path: path) }
        return .writeFailed(reason: Self.reason(error))
    }

    /// The same as ``transaction(_:)``, suspending instead of blocking the caller's thread.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            let store = self
            return try await writer.writeWithoutTransaction { db in
                try Self.inWriteTransaction(db) {
                    try store.foldLog(db)
                    return try body(db)
                }
            }
        } catch let error as DatabaseError {
            throw writeError(error)
        }
    }

    /// Runs `body` on a consistent view of the store: a snapshot on a pool; on a queue (every
    /// in-memory store), which serializes all access, directly, without a read-only savepoint.
    /// On a replica the view never holds unfolded local writes: if the write log has any, they
    /// are folded first (see ``WriteLog``) and the read starts again.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        while true {
            let result: T? = try snapshot { db in
                if role == .replica, try WriteLog.hasEntries(db) { return nil }
                return try body(db)
            }
            if let result { return result }
            try foldLog()
        }
    }

    private func snapshot<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            if let queue = writer as? DatabaseQueue { return try queue.inDatabase(body) }
            return try writer.read(body)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: Self.reason(error))
        }
    }

    /// The replica's version vector: every version held is `(r, 1...vector[r])`.
    public func versionVector() throws -> VersionVector {
        try read { db in try Self.versionVector(db) }
    }

    /// The counters held from `replicas` only: one indexed lookup each, however many replicas
    /// the store knows.
    public func versionVector(of replicas: some Sequence<ReplicaID>) throws -> VersionVector {
        try read { db in try Self.versionVector(of: replicas, db) }
    }

    static func versionVector(of replicas: some Sequence<ReplicaID>, _ db: Database) throws -> VersionVector {
        var entries: [VersionVector.Entry] = []
        for replica in replicas {
            let counter = try Int64.fetchOne(db.cachedStatement(sql: "SELECT counter FROM replica WHERE uuid = ?"), arguments: [replica.rawValue])
            entries.append(.init(replica: replica, counter: UInt64(counter ?? 0)))
        }
        return VersionVector(unsorted: entries)
    }

    static func versionVector(_ db: Database) throws -> VersionVector {
        var entries: [VersionVector.Entry] = []
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT uuid, counter FROM replica WHERE counter > 0")) {
            if let replica = ReplicaID(row[0] as String) { entries.append(.init(replica: replica, counter: UInt64(row[1] as Int64))) }
        }
        return VersionVector(unsorted: entries)
    }

    /// Applies versions received from a peer, in one transaction: all or nothing.
    ///
    /// Re-applying versions already held changes nothing; a version whose dot is held with
    /// different content, or that leaves a gap in its replica's counters, fails the whole batch.
    @discardableResult
    public func apply(_ versions: [Version]) throws -> ApplyReport {
        try transaction { db in
            var batch = try ApplyBatch.begin(self, db)
            try batch.preload(versions)
            for version in versions { try batch.integrate(version) }
            return try batch.finish()
        }
    }

    /// Stores checked versions in the open write transaction `db`, merging fields and, on a
    /// server, appending each new version to the feed. `deferFields` as in
    /// ``Replica/receive(_:serverVector:cursor:deferFields:)``.
    func integrate(_ versions: PreparedVersions, _ db: Database, deferFields: Bool = false) throws -> ApplyReport {
        var batch = try ApplyBatch.begin(self, db, deferFields: deferFields)
        try batch.preload(versions.entries.lazy.map(\.version))
        try batch.integrate(versions)
        return try batch.finish()
    }

    /// Up to `limit` versions that `vector` does not cover, each replica's in counter order.
    /// `replicas`, when given, restricts the answer to those replicas.
    public func versions(notCoveredBy vector: VersionVector, limit: Int, replicas: Set<ReplicaID>? = nil) throws -> (versions: [Version], more: Bool) {
        try read { db in try Self.versions(db, notCoveredBy: vector, limit: limit, replicas: replicas) }
    }

    /// `budget` bounds the page's size too (see ``PageBudget``).
    static func versions(
        _ db: Database, notCoveredBy vector: VersionVector, limit: Int, replicas: Set<ReplicaID>? = nil, budget: PageBudget = .unbounded
    ) throws -> (versions: [Version], more: Bool) {
        var result: [Version] = []
        var budget = budget
        let rows: [Row]
        if let replicas {
            // A few named replicas: one lookup each, however many replicas the store knows.
            let lookup = try db.cachedStatement(sql: "SELECT id, uuid, counter FROM replica WHERE uuid = ?")
            rows = try replicas.sorted().compactMap { try Row.fetchOne(lookup, arguments: [$0.rawValue]) }
        } else {
            rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, uuid, counter FROM replica ORDER BY uuid"))
        }
        var names = ReplicaNames()
        for row in rows {
            guard let replica = ReplicaID(row[1] as String) else { continue }
            names.note(row: row[0], id: replica)
            let have = UInt64(row[2] as Int64)
            let seen = vector[replica]
            guard have > seen else { continue }
            if result.count >= limit { return (result, true) }
            let wanted = limit - result.count
            let statement = try db.cachedStatement(sql: """
                SELECT \(VersionRow.columns) FROM \(VersionRow.tables)
                WHERE v.replica = ? AND v.counter > ? ORDER BY v.counter LIMIT ?
                """)
            // A cursor, not fetchAll: rows past the page's budget are never read into memory.
            let fetched = try Row.fetchCursor(statement, arguments: [row[0] as Int64, Int64(seen), wanted])
            var count: UInt64 = 0
            while let versionRow = try fetched.next() {
                let (version, bytes) = try VersionRow.decodeMeasured(versionRow, statement: statement.sqliteStatement, replica: replica,
                                                                offset: 0, names: &names, db)
                guard budget.admits(bytes) else { return (result, true) }
                result.append(version)
                count += 1
            }
            if have - seen > count { return (result, true) }
        }
        return (result, false)
    }
}
