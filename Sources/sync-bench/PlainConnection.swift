import GRDBSQLite
import LocalStore

/// One SQLite connection through SQLite's own C API, for the plain-SQLite references: no GRDB
/// (whose dispatch queue, argument arrays and per-transaction `BEGIN`/`COMMIT` preparation cost
/// a single-row commit about as much as SQLite's own work), with a store's journal, sync and
/// checkpoint settings.
final class PlainConnection {
    let handle: OpaquePointer

    /// Opens (creating) the file at `path` in WAL mode; `cacheKiB`, when given, sets the page cache.
    init(path: String, cacheKiB: Int? = nil) throws {
        Store.configureSQLite()
        var opened: OpaquePointer?
        let code = sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(code)"
            sqlite3_close(opened)
            throw BenchError("cannot open \(path) for the plain-SQLite reference: \(message)")
        }
        handle = opened
        try execute("PRAGMA journal_mode = WAL")
        try execute("PRAGMA synchronous = NORMAL")
        try execute("PRAGMA wal_autocheckpoint = \(Store.walAutocheckpointPages)")
        if let cacheKiB { try execute("PRAGMA cache_size = -\(cacheKiB)") }
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs `sql` (one or more statements, no rows wanted).
    func execute(_ sql: String) throws {
        guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw failure(sql) }
    }

    func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
            throw failure(sql)
        }
        return Statement(handle: statement, connection: self)
    }

    /// Copies every page of the write-ahead log into the file and empties the log, as closing the
    /// last connection does (see `DatabaseWriter.checkpointIntoTheFile()`).
    func checkpointIntoTheFile() throws {
        guard sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil) == SQLITE_OK else { throw failure("checkpoint") }
    }

    fileprivate func failure(_ what: String) -> BenchError {
        BenchError("the plain-SQLite reference failed on \(what.prefix(60)): \(String(cString: sqlite3_errmsg(handle)))")
    }

    /// A prepared statement, bound by position and run to completion.
    final class Statement {
        private let handle: OpaquePointer
        private let connection: PlainConnection

        fileprivate init(handle: OpaquePointer, connection: PlainConnection) {
            self.handle = handle
            self.connection = connection
        }

        deinit { sqlite3_finalize(handle) }

        func bind(_ index: Int32, _ text: String) {
            // SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.
            sqlite3_bind_text(handle, index, text, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }

        func bind(_ index: Int32, _ number: Int64) {
            sqlite3_bind_int64(handle, index, number)
        }

        /// Steps to the end and resets; rows a query returns are skipped.
        func run() throws {
            var code = sqlite3_step(handle)
            while code == SQLITE_ROW { code = sqlite3_step(handle) }
            sqlite3_reset(handle)
            guard code == SQLITE_DONE else { throw connection.failure(String(cString: sqlite3_sql(handle))) }
        }
    }
}
