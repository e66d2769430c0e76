import GRDB
import SyncProtocol

/// How many `bundle apply`s ended with each result, in a SQLite server file: one row per result
/// and reason met so far, a fixed set (see ``BundleApplyResult``), so the table never grows
/// with data.
enum BundleApplyTally {
    /// Counts one apply in the open write transaction.
    static func count(_ result: BundleApplyResult, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO bundle_apply (result, reason, count) VALUES (?, ?, 1)
            ON CONFLICT (result, reason) DO UPDATE SET count = count + 1
            """).execute(arguments: [result.result, result.reason?.rawValue ?? ""])
    }

    static func counts(_ db: Database) throws -> [BundleApplyResult: Int] {
        var counts: [BundleApplyResult: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT result, reason, count FROM bundle_apply") {
            let result: BundleApplyResult = (row[0] as String) == "applied" ? .applied : .refused(.init(rawValue: row[1]))
            counts[result, default: 0] += row[2] as Int
        }
        return counts
    }

    /// The table, made by migration `v12-bundle-applies`.
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE bundle_apply (
                result TEXT NOT NULL,
                reason TEXT NOT NULL,
                count INTEGER NOT NULL,
                PRIMARY KEY (result, reason)
            ) WITHOUT ROWID;
            """)
    }
}
