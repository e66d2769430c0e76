import GRDB
import GRDBSQLite
import SyncModel

/// One execution of a write statement of the apply path, its values bound with SQLite's own
/// calls.
///
/// GRDB's `execute(arguments:)` builds an argument array of boxed values per execution; on the
/// paths that run once per version (the version row, the feed entry, each field's upsert) that
/// was a tenth of the writer's time. Only for single-step writes (INSERT, UPDATE) inside a
/// transaction GRDB opened: no rows are read and no transaction observers are told.
struct DirectWrite {
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

    /// Runs the statement once; SQLite's error, with the statement's text, if it fails.
    func run() throws {
        precondition(index == sqlite3_bind_parameter_count(handle), "DirectWrite: \(index) values bound for \(statement.sql)")
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let message = sqlite3_db_handle(handle).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
    }

    private static let empty: StaticString = ""
    /// SQLite copies the bytes before `bind` returns (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
