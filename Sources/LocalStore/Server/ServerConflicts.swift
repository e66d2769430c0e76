import GRDB
import SyncModel
import SyncProtocol

/// The conflicts replicas reported to a SQLite server (see ``ConflictReport``): one row per id
/// ever reported, with when it was first reported and when it was first reported resolved,
/// and a one-row tally of both counts kept by the same transaction, so a scrape reads two
/// numbers instead of counting rows.
enum ServerConflicts {
    /// Records a replica's report in the open write transaction. An id not held is inserted,
    /// opened once however many replicas report it; a resolved id is closed for good (reported
    /// opened again by a replica that has not seen the resolution yet, it stays closed); an id
    /// first reported resolved counts as opened and closed at once.
    static func record(_ report: ConflictReport, at time: Int64, _ db: Database) throws {
        guard !report.isEmpty else { return }
        var inserted = 0, open = 0
        let insertOpen = try db.cachedStatement(sql: "INSERT INTO conflict (id, opened) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")
        for id in Set(report.opened).sorted() {
            try insertOpen.execute(arguments: [id.rawValue, time])
            inserted += db.changesCount
            open += db.changesCount
        }
        let close = try db.cachedStatement(sql: "UPDATE conflict SET closed = ? WHERE id = ? AND closed IS NULL")
        let insertClosed = try db.cachedStatement(sql: "INSERT INTO conflict (id, opened, closed) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")
        for id in Set(report.resolved).sorted() {
            try close.execute(arguments: [time, id.rawValue])
            if db.changesCount > 0 {
                open -= 1
            } else {
                try insertClosed.execute(arguments: [id.rawValue, time, time])
                inserted += db.changesCount
            }
        }
        guard inserted != 0 || open != 0 else { return }
        try db.cachedStatement(sql: "UPDATE conflict_tally SET opened = opened + ?, open = open + ?").execute(arguments: [inserted, open])
    }

    /// The tally ``record(_:at:_:)`` keeps.
    static func counts(_ db: Database) throws -> ConflictCounts {
        guard let row = try Row.fetchOne(db, sql: "SELECT open, opened FROM conflict_tally") else {
            throw StoreError.damaged("the server's conflict tally is missing")
        }
        return ConflictCounts(open: row[0], opened: row[1])
    }

    /// The tables, made by migration `v11-conflicts`.
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE conflict (
                id TEXT PRIMARY KEY NOT NULL,
                opened INTEGER NOT NULL,
                closed INTEGER
            ) WITHOUT ROWID;
            CREATE TABLE conflict_tally (
                one INTEGER PRIMARY KEY NOT NULL CHECK (one = 1),
                opened INTEGER NOT NULL,
                open INTEGER NOT NULL
            );
            INSERT INTO conflict_tally (one, opened, open) VALUES (1, 0, 0);
            """)
    }
}
