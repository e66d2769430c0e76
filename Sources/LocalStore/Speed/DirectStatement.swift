// Speed machinery: binds and steps the apply path's statements with SQLite's C calls, without GRDB's argument arrays.
import GRDB
import GRDBSQLite
import SyncModel

/// One execution of a statement of the apply path, its values bound and its first row read with
/// SQLite's own calls.
///
/// GRDB's `execute(arguments:)` builds an argument array of boxed values per execution; on the
/// paths that run once per version (the version row, the feed entry, each field's upsert) that
/// was a tenth of the writer's time. Its `fetchOne` also makes a cursor and a row object: a
/// single local write's five lookups spent about a third of its Swift time there. For statements
/// of one step (INSERT, UPDATE, and the `BEGIN IMMEDIATE` and `COMMIT` of
/// ``Store/inWriteTransaction(_:_:)``) and for queries whose rows are read in place, inside the
/// store's own transactions: GRDB's transaction observers are not told, and the store
/// registers none.
struct DirectStatement {
    private let statement: Statement
    private let handle: OpaquePointer
    private var index: Int32 = 0

    init(_ statement: Statement) {
        self.statement = statement
        handle = statement.sqliteStatement
        sqlite3_reset(handle)
    }

    mutating func bind(_ value: Int64) {
        index += 1
        sqlite3_bind_int64(handle, index, value)
    }

    mutating func bind(_ value: String) {
        var text = value
        text.withUTF8 { bind(utf8: $0) }
    }

    /// A record id as its text, made on the stack rather than as a `String`.
    mutating func bind(_ record: RecordID) {
        record.withText { bind(utf8: $0) }
    }

    /// A replica id as its text, made on the stack rather than as a `String`.
    mutating func bind(_ replica: ReplicaID) {
        replica.withText { bind(utf8: $0) }
    }

    private mutating func bind(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        index += 1
        // An empty buffer may have no address; SQLite reads a null pointer as NULL, not ''.
        let start = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(Self.empty.utf8Start)
        sqlite3_bind_text(handle, index, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
    }

    /// Bytes bound as a BLOB (an empty one is a zero-length BLOB, not NULL).
    mutating func bind(blob bytes: [UInt8]) {
        index += 1
        bytes.withUnsafeBytes { raw in
            let start = raw.baseAddress ?? UnsafeRawPointer(Self.empty.utf8Start)
            sqlite3_bind_blob(handle, index, start, Int32(raw.count), Self.transient)
        }
    }

    mutating func bind(_ value: String?) {
        guard let value else {
            index += 1
            sqlite3_bind_null(handle, index)
            return
        }
        bind(value)
    }

    /// Column `column` of another statement's current row, bound as SQLite holds it (its type
    /// and bytes, copied by SQLite before this returns).
    mutating func bind(column: Int32, of row: DirectRow) {
        index += 1
        sqlite3_bind_value(handle, index, sqlite3_column_value(row.handle, column))
    }

    /// Runs the statement once; SQLite's error, with the statement's text, if it fails.
    func run() throws {
        precondition(index == sqlite3_bind_parameter_count(handle), "DirectStatement: \(index) values bound for \(statement.sql)")
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw error(code) }
    }

    /// Runs a query and reads its first row with `read`; nil if it returns no row. The statement
    /// is reset before this returns, so the row must not outlive `read`.
    func firstRow<T>(_ read: (DirectRow) throws -> T) throws -> T? {
        precondition(index == sqlite3_bind_parameter_count(handle), "DirectStatement: \(index) values bound for \(statement.sql)")
        defer { sqlite3_reset(handle) }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return try read(DirectRow(handle: handle))
        case SQLITE_DONE: return nil
        case let code: throw error(code)
        }
    }

    /// Runs a query and calls `read` with each of its rows in order. The statement is reset
    /// before this returns, so no row may outlive its call.
    func forEachRow(_ read: (DirectRow) throws -> Void) throws {
        precondition(index == sqlite3_bind_parameter_count(handle), "DirectStatement: \(index) values bound for \(statement.sql)")
        defer { sqlite3_reset(handle) }
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW: try read(DirectRow(handle: handle))
            case SQLITE_DONE: return
            case let code: throw error(code)
            }
        }
    }

    /// SQLite's error for a failed step, with the statement's text (read before the reset).
    private func error(_ code: Int32) -> DatabaseError {
        let message = sqlite3_db_handle(handle).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }

    private static let empty: StaticString = ""
    /// SQLite copies the bytes before `bind` returns (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

/// The current row of a ``DirectStatement`` query, valid only inside its `firstRow` or
/// `forEachRow` closure.
struct DirectRow {
    /// The statement, for readers that take SQLite's buffers in place (``ClockBlob/withColumn(_:_:_:)``).
    let handle: SQLiteStatement

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// The column as text; nil if it is NULL.
    func text(_ column: Int32) -> String? {
        guard let start = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    }
}
