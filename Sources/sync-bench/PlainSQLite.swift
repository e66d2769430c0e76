import GRDB
import LocalStore
import SyncModel

/// The reference: the same rows inserted into a plain SQLite table, with the same journal and sync settings.
enum PlainSQLite {
    static func open(_ path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE row (record TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, time INTEGER NOT NULL)")
        }
        return pool
    }

    /// Seconds to insert every row in one transaction.
    static func insertAll(_ rows: [FieldChange], path: String) throws -> Double {
        let pool = try open(path)
        let rows = plain(rows)
        return try measure {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: insert)
                for row in rows {
                    try statement.execute(arguments: [row.record, row.field, row.value, WallClock.now()])
                }
            }
        }
    }

    /// Seconds to insert each row in its own transaction.
    static func insertEach(_ rows: [FieldChange], path: String) throws -> Double {
        let pool = try open(path)
        let rows = plain(rows)
        return try measure {
            for row in rows {
                try pool.write { db in
                    try db.cachedStatement(sql: insert).execute(arguments: [row.record, row.field, row.value, WallClock.now()])
                }
            }
        }
    }

    private static let insert = "INSERT INTO row (record, field, value, time) VALUES (?, ?, ?, ?)"

    /// The rows as text, made before the clock starts: the reference times SQLite, not formatting.
    private static func plain(_ rows: [FieldChange]) -> [(record: String, field: String, value: String)] {
        rows.map { row in
            let value: String
            switch row.value {
            case .text(let text): value = text
            case .int(let number): value = String(number)
            default: value = row.value.summary
            }
            return (row.record.rawValue, row.field, value)
        }
    }
}
