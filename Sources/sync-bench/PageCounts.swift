import GRDB
import GRDBSQLite
import LocalStore
import Foundation

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
        self = try writer.write { db in try PageCounts(connection: db.sqliteConnection) }
    }

    /// The counts of a plain-SQLite reference's connection so far.
    init(_ plain: PlainConnection) throws {
        try self.init(connection: plain.handle)
    }

    private init(connection: OpaquePointer?) throws {
        (read, written) = (try Self.status(SQLITE_DBSTATUS_CACHE_MISS, connection), try Self.status(SQLITE_DBSTATUS_CACHE_WRITE, connection))
    }

    private static func status(_ counter: Int32, _ connection: OpaquePointer?) throws -> Double {
        var current: Int32 = 0, highwater: Int32 = 0
        guard sqlite3_db_status(connection, counter, &current, &highwater, 0) == SQLITE_OK else {
            throw BenchError("SQLite did not report its page counts")
        }
        return Double(current)
    }
}

extension PageCounts {
    /// "read / written", one decimal each.
    var label: String { String(format: "%.1f / %.1f", read, written) }
}
