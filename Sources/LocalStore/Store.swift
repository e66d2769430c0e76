package import GRDB
import CSQLiteConfig
import Foundation
import GRDBSQLite
public import SyncModel
public import SyncProtocol

/// A replica's versions and the field states they determine, in one SQLite file: the
/// replica's engine (the server keeps its own, ``SQLiteServerStore``). Every public method that
/// writes is one transaction: it happens whole or not at all.
public struct Store: Sendable {
    /// The GRDB writer (a pool in WAL mode on files, a queue in memory).
    package let writer: any DatabaseWriter
    public let schemas: SchemaRegistry
    public let path: String
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
    /// The replica's signing key, as last decoded (see ``SigningKeyCache``).
    let signingKeys = SigningKeyCache()

    init(writer: any DatabaseWriter, path: String, schemas: SchemaRegistry) {
        self.writer = writer
        self.path = path
        self.schemas = schemas
    }

    /// Configures SQLite for this process, which must happen before its first connection: no
    /// memory statistics, so that SQLite's allocations (a few per stored version) take no global
    /// mutex. Opening a store calls it; a program that opens SQLite otherwise first calls it
    /// itself. Returns whether it took effect (false after the process's first connection).
    @discardableResult
    public static func configureSQLite() -> Bool { DatabaseFile.sqliteConfigured }

    /// Each connection's page cache.
    public static let cacheKiB = 32768

    /// Pages the write-ahead log may hold before a commit copies them into the file (SQLite's
    /// default is 1,000). A sync that brings edits of records spread over a large store changes
    /// leaf pages at random, and a page a later transaction changes again is copied into the file
    /// once per checkpoint it appears in, each checkpoint paying two `fdatasync`s; with 10,000
    /// pages (at most about 40 MB of log) most of a large pull's pages are copied once.
    public static let walAutocheckpointPages = 10_000

    /// Opens (creating it when `create` allows) the replica file at `path`, checking it belongs to
    /// field-sync and is a replica's, and migrating it. A foreign, newer or corrupt file is
    /// refused untouched; one the system will not let us write opens read-only.
    static func open(path: String, create: Bool, schemas: SchemaRegistry = .standard) throws -> Store {
        Store(writer: try DatabaseFile.open(path: path, kind: StoreSchema.kind, create: create), path: path, schemas: schemas)
    }

    /// A fresh replica store in memory, for tests and benchmarks.
    static func inMemory(schemas: SchemaRegistry = .standard) throws -> Store {
        Store(writer: try DatabaseFile.inMemory(kind: StoreSchema.kind), path: ":memory:", schemas: schemas)
    }

    /// Closes the file, leaving it whole in the main file (no write-ahead log beside it), and
    /// fails if another connection still has it open. The store is unusable afterwards.
    public func close() throws {
        try DatabaseFile.close(writer, path: path)
    }

    /// Runs `body` in one write transaction, mapping SQLite failures (full disk, read-only file)
    /// to a ``StoreError`` that says nothing was written. The write log is folded first, in the
    /// same transaction (see ``WriteLog``), unless `foldingLog` is false: only a
    /// local write, which decides itself, passes false. A write log summary the body leaves
    /// pending is kept if the transaction commits, and dropped if it fails.
    func transaction<T>(foldingLog: Bool = true, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                var committed = false
                defer { logSummaries.settle(committed: committed) }
                let result = try DatabaseFile.inWriteTransaction(db) {
                    if foldingLog { try foldLog(db) }
                    return try body(db)
                }
                committed = true
                return result
            }
        } catch let error as DatabaseError {
            throw DatabaseFile.writeError(error, path: path)
        }
    }

    /// Folds the write log in the open write transaction (see ``WriteLog``).
    private func foldLog(_ db: Database) throws {
        try WriteLog.fold(self, db)
    }

    /// Folds the write log in a transaction of its own; a read-only file that holds
    /// logged writes says so.
    func foldLog() throws {
        do {
            try transaction { _ in }
        } catch StoreError.readOnly {
            throw StoreError.unfoldedWrites(path: path)
        }
    }

    /// The same as ``transaction(_:)``, suspending instead of blocking the caller's thread.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            let store = self
            return try await writer.writeWithoutTransaction { db in
                try DatabaseFile.inWriteTransaction(db) {
                    try store.foldLog(db)
                    return try body(db)
                }
            }
        } catch let error as DatabaseError {
            throw DatabaseFile.writeError(error, path: path)
        }
    }

    /// Runs `body` on a consistent view of the store: a snapshot on a pool; on a queue (every
    /// in-memory store), which serializes all access, directly, without a read-only savepoint.
    /// The view never holds unfolded local writes: if the write log has any, they are folded
    /// first (see ``WriteLog``) and the read starts again.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        while true {
            let result: T? = try snapshot { db in
                if try WriteLog.hasEntries(db) { return nil }
                return try body(db)
            }
            if let result { return result }
            try foldLog()
        }
    }

    private func snapshot<T>(_ body: (Database) throws -> T) throws -> T {
        try DatabaseFile.read(writer, path: path, body)
    }

    /// The replica's version vector: every version held is `(r, 1...vector[r])`.
    public func versionVector() throws -> VersionVector {
        try read { db in try VersionTable.versionVector(db) }
    }

    /// The counters held from `replicas` only: one indexed lookup each, however many replicas
    /// the store knows.
    public func versionVector(of replicas: some Sequence<ReplicaID>) throws -> VersionVector {
        try read { db in try VersionTable.versionVector(of: replicas, db) }
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

    /// Stores checked versions in the open write transaction `db`, merging fields. `deferFields` as in
    /// ``Replica/receive(_:serverVector:cursor:deferFields:)``.
    /// `trustingHistory` as in ``ApplyBatch/trustsHistory``.
    func integrate(_ versions: PreparedVersions, _ db: Database, deferFields: Bool = false, trustingHistory: Bool = false) throws -> ApplyReport {
        var batch = try ApplyBatch.begin(self, db, deferFields: deferFields)
        batch.trustsHistory = trustingHistory
        try batch.preload(versions.entries.lazy.map(\.version))
        try batch.integrate(versions)
        return try batch.finish()
    }

    /// Up to `limit` versions that `vector` does not cover, each replica's in counter order.
    /// `replicas`, when given, restricts the answer to those replicas.
    public func versions(notCoveredBy vector: VersionVector, limit: Int, replicas: Set<ReplicaID>? = nil) throws -> (versions: [Version], more: Bool) {
        try read { db in try VersionTable.versions(db, notCoveredBy: vector, limit: limit, replicas: replicas) }
    }
}
