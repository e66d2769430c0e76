import GRDB
import GRDBSQLite
import LocalStore

/// Pages the writer connection of a store read from its file and wrote out, as SQLite counts them.
struct PageCounts {
    var read: Double
    var written: Double
}

extension PageCounts {
    /// The counts of `store`'s writer connection so far.
    init(_ store: Replica) throws {
        try self.init(store.store.writer)
    }

    /// The counts of `writer`'s connection so far.
    init(_ writer: some DatabaseWriter) throws {
        (read, written) = try writer.write { db in
            (try Self.status(SQLITE_DBSTATUS_CACHE_MISS, db), try Self.status(SQLITE_DBSTATUS_CACHE_WRITE, db))
        }
    }

    private static func status(_ counter: Int32, _ db: Database) throws -> Double {
        var current: Int32 = 0, highwater: Int32 = 0
        guard sqlite3_db_status(db.sqliteConnection, counter, &current, &highwater, 0) == SQLITE_OK else {
            throw BenchError("SQLite did not report its page counts")
        }
        return Double(current)
    }
}

extension PageCounts {
    /// "read / written", one decimal each.
    var label: String { String(format: "%.1f / %.1f", read, written) }
}
