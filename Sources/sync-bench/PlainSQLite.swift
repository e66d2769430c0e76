import LocalStore
import SyncModel

/// The references: the same rows in a plain SQLite table, through SQLite's C API with reused
/// prepared statements (`BEGIN IMMEDIATE` and `COMMIT` too, as a store's transactions) and a
/// store's journal, sync and checkpoint settings (see ``PlainConnection``).
enum PlainSQLite {
    private static let create = "CREATE TABLE row (record TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, time INTEGER NOT NULL"
    private static let insertSQL = "INSERT INTO row (record, field, value, time) VALUES (?, ?, ?, ?)"

    /// `BEGIN IMMEDIATE` and `COMMIT`, prepared once, as a store's transactions run them.
    private static func transactionStatements(_ connection: PlainConnection) throws -> (begin: PlainConnection.Statement, commit: PlainConnection.Statement) {
        (try connection.prepare("BEGIN IMMEDIATE"), try connection.prepare("COMMIT"))
    }

    /// A fresh file with the reference's table; keyed by record and field, with a store's page
    /// cache, for the references that read rows back.
    private static func open(_ path: String, keyed: Bool = false) throws -> PlainConnection {
        let connection = try PlainConnection(path: path, cacheKiB: keyed ? Store.cacheKiB : nil)
        try connection.execute(create + (keyed ? ", PRIMARY KEY (record, field)) WITHOUT ROWID" : ")"))
        return connection
    }

    /// Microseconds per row to update `count` random rows of a table of `size` rows keyed by record
    /// and field (a third as many records as rows; other records in each run), in transactions of
    /// 500 with a store's page cache, and to copy them into the file: the median of three runs, as
    /// `Flat.applyCost` times a store, with the pages read and written per row. How much more a
    /// random write costs in a larger B-tree, whatever the engine above it.
    static func updateCost(rows size: Int, count: Int, path: String, runs: Int = 3) throws -> (microseconds: Double, pages: PageCounts) {
        let connection = try open(path, keyed: true)
        var random = BenchRandom(seed: 7)
        let records = (0..<max(1, size / fields.count)).map { _ in RecordID(bytes: (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) })!.rawValue }
        let (begin, commit) = try transactionStatements(connection)
        let add = try connection.prepare(insertSQL)
        try begin.run()
        for (index, record) in records.enumerated() {
            for field in fields {
                add.bind(1, record)
                add.bind(2, field)
                add.bind(3, "Cell \(field) \(index)")
                add.bind(4, 0)
                try add.run()
            }
        }
        try commit.run()
        try connection.checkpointIntoTheFile()
        let update = try connection.prepare("UPDATE row SET value = ?, time = ? WHERE record = ? AND field = ?")
        let perRun = max(1, count / 5)
        var costs: [Double] = []
        let before = try PageCounts(connection)
        for run in 0..<runs {
            let touched = (0..<perRun).map { _ in records[Int(random.next() % UInt64(records.count))] }
            // The values are made before the clock starts, as the engine's versions are.
            let values = (0..<count).map { "Bob's edit \(run).\($0)" }
            let elapsed = try measure {
                for start in stride(from: 0, to: count, by: 500) {
                    try begin.run()
                    for index in start..<min(start + 500, count) {
                        update.bind(1, values[index])
                        update.bind(2, Int64(index))
                        update.bind(3, touched[index % touched.count])
                        update.bind(4, fields[index % fields.count])
                        try update.run()
                    }
                    try commit.run()
                }
                try connection.checkpointIntoTheFile()
            }
            costs.append(elapsed * 1e6 / Double(count))
        }
        let after = try PageCounts(connection)
        let applied = Double(runs * count)
        let perRow = PageCounts(read: (after.read - before.read) / applied, written: (after.written - before.written) / applied)
        return (costs.sorted()[costs.count / 2], perRow)
    }

    private static let fields = ["title", "trend", "tier"]

    /// Seconds to insert every row in one transaction.
    static func insertAll(_ rows: [FieldChange], path: String) throws -> Double {
        let connection = try open(path)
        let ((begin, commit), statement) = (try transactionStatements(connection), try connection.prepare(insertSQL))
        let rows = plain(rows)
        return try measure {
            try begin.run()
            for row in rows { try insert(row, with: statement) }
            try commit.run()
        }
    }

    /// Seconds to insert each row in its own transaction.
    static func insertEach(_ rows: [FieldChange], path: String) throws -> Double {
        let connection = try open(path)
        let ((begin, commit), statement) = (try transactionStatements(connection), try connection.prepare(insertSQL))
        let rows = plain(rows)
        return try measure {
            for row in rows {
                try begin.run()
                try insert(row, with: statement)
                try commit.run()
            }
        }
    }

    private static func insert(_ row: (record: String, field: String, value: String), with statement: PlainConnection.Statement) throws {
        statement.bind(1, row.record)
        statement.bind(2, row.field)
        statement.bind(3, row.value)
        statement.bind(4, WallClock.now())
        try statement.run()
    }

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
