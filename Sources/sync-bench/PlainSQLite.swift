import GRDB
import LocalStore
import SyncModel

/// The reference: the same rows inserted into a plain SQLite table, with the same journal and sync settings.
enum PlainSQLite {
    static func open(_ path: String, keyed: Bool = false) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Store.walAutocheckpointPages)")
            // A store's page cache (see `Store`), for the references that read rows back.
            if keyed { try db.execute(sql: "PRAGMA cache_size = -\(Store.cacheKiB)") }
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE row (record TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, time INTEGER NOT NULL"
                + (keyed ? ", PRIMARY KEY (record, field)) WITHOUT ROWID" : ")"))
        }
        return pool
    }

    /// Microseconds per row to update `count` random rows of a table of `size` rows keyed by record
    /// and field (a third as many records as rows; other records in each run), in transactions of
    /// 500 with a store's page cache, and to copy them into the file: the median of three runs, as
    /// `Flat.applyCost` times a store, with the pages read and written per row. How much more a
    /// random write costs in a larger B-tree, whatever the engine above it.
    static func updateCost(rows size: Int, count: Int, path: String, runs: Int = 3) throws -> (microseconds: Double, pages: PageCounts) {
        let pool = try open(path, keyed: true)
        var random = BenchRandom(seed: 7)
        let records = (0..<max(1, size / fields.count)).map { _ in RecordID(bytes: (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) })!.rawValue }
        try pool.write { db in
            let statement = try db.cachedStatement(sql: insert)
            for (index, record) in records.enumerated() {
                for field in fields { try statement.execute(arguments: [record, field, "Cell \(field) \(index)", 0]) }
            }
        }
        try pool.checkpointIntoTheFile()
        let perRun = max(1, count / 5)
        var costs: [Double] = []
        let before = try PageCounts(pool)
        for run in 0..<runs {
            let touched = (0..<perRun).map { _ in records[Int(random.next() % UInt64(records.count))] }
            let elapsed = try measure {
                for start in stride(from: 0, to: count, by: 500) {
                    try pool.write { db in
                        let update = try db.cachedStatement(sql: "UPDATE row SET value = ?, time = ? WHERE record = ? AND field = ?")
                        for index in start..<min(start + 500, count) {
                            try update.execute(arguments: ["Bob's edit \(run).\(index)", index, touched[index % touched.count], fields[index % fields.count]])
                        }
                    }
                }
                try pool.checkpointIntoTheFile()
            }
            costs.append(elapsed * 1e6 / Double(count))
        }
        let after = try PageCounts(pool)
        let applied = Double(runs * count)
        let perRow = PageCounts(read: (after.read - before.read) / applied, written: (after.written - before.written) / applied)
        try pool.close()
        return (costs.sorted()[costs.count / 2], perRow)
    }

    private static let fields = ["title", "trend", "tier"]

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
