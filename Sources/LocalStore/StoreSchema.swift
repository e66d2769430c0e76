import Foundation
import GRDB
import SyncModel
import SyncProtocol

/// A replica file's tables and migrations, and the steps both sides' files share: server files
/// began as a replica's schema plus the server's tables (see ``ServerSchema``). Every step
/// since the first is kept so any older file upgrades.
enum StoreSchema {
    static let kind = DatabaseFile.Kind(
        role: "replica", migrator: migrator, migrations: migrations, exampleName: "replica.sqlite",
        missing: { StoreError.notInitialized(path: $0) },
        // A replica the system will not let us write is still readable.
        opensReadOnly: true
    )

    /// Every step a replica file takes, in order.
    static let migrations: Set<String> = [
        "v1-versions", "v2-cell-numbers", "v4-record-rows", "v5-clock-blobs", "v6-write-log", "v7-signatures", "v8-access", "v9-conflict-reports",
    ]

    @Sendable static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-versions") { db in try versionTables(db, role: kind.role) }
        migrator.registerMigration("v2-cell-numbers", migrate: cellNumbers)
        migrator.registerMigration("v4-record-rows", migrate: recordRows)
        migrator.registerMigration("v5-clock-blobs", migrate: clockBlobs)
        migrator.registerMigration("v6-write-log") { db in
            // A replica's single local writes, each a whole version, appended here and folded
            // into `version`, `record` and `field` later, many at once (see ``WriteLog``).
            try db.execute(sql: """
                CREATE TABLE write_log (
                    counter INTEGER PRIMARY KEY,
                    replica INTEGER NOT NULL,
                    record TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    field TEXT NOT NULL,
                    context BLOB NOT NULL,
                    value TEXT NOT NULL,
                    author TEXT NOT NULL,
                    time INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v7-signatures") { db in
            // Signed ranges of other replicas' versions this file received by bundle: kept to
            // carry them on (to the server, or in another bundle), `pending` until the
            // server has taken them. Replicas' public keys: `vouched` by the server (fetched
            // at sync), or pinned on first sight in a bundle.
            // What each bundle sender was known to hold, for `bundle create --for`.
            try db.execute(sql: """
                CREATE TABLE signed_range (
                    replica TEXT NOT NULL,
                    first INTEGER NOT NULL,
                    last INTEGER NOT NULL,
                    signature BLOB NOT NULL,
                    pending INTEGER NOT NULL,
                    PRIMARY KEY (replica, first, last)
                ) WITHOUT ROWID;
                CREATE TABLE known_key (
                    replica TEXT PRIMARY KEY NOT NULL,
                    public_key BLOB NOT NULL,
                    analyst TEXT NOT NULL,
                    vouched INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE peer (
                    replica TEXT PRIMARY KEY NOT NULL,
                    analyst TEXT NOT NULL,
                    holds TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v8-access") { db in
            // Need-to-know as the server last told it (see ``AccessRules``): each record's
            // compartments (NULL: the default one alone), the analyst's clearances (none until
            // the first sync that tells them), the compartment named for a record made here,
            // dots of this file's writes set aside when a clearance went, and what was removed.
            try db.execute(sql: """
                ALTER TABLE record ADD COLUMN compartments TEXT;
                CREATE TABLE clearance (
                    compartment TEXT PRIMARY KEY NOT NULL,
                    write INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE record_home (
                    record TEXT PRIMARY KEY NOT NULL,
                    compartment TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE withdrawn (
                    replica TEXT NOT NULL,
                    counter INTEGER NOT NULL,
                    PRIMARY KEY (replica, counter)
                ) WITHOUT ROWID;
                CREATE TABLE removal (
                    id INTEGER PRIMARY KEY,
                    time INTEGER NOT NULL,
                    compartments TEXT NOT NULL,
                    cells INTEGER NOT NULL,
                    signals INTEGER NOT NULL,
                    set_aside TEXT,
                    set_aside_versions INTEGER NOT NULL
                );
                """)
        }
        // The conflicts this replica reports to the server, and what the server acknowledged
        // (see ConflictReports).
        migrator.registerMigration("v9-conflict-reports", migrate: ConflictReports.create)
        return migrator
    }

    /// The first step of both sides' files: versions, replicas, records, field states and the
    /// `meta` table, which records the file's `role`.
    static func versionTables(_ db: Database, role: String) throws {
        try db.execute(sql: "PRAGMA application_id = \(DatabaseFile.applicationID)")
        try db.execute(sql: """
            CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE replica (
                id INTEGER PRIMARY KEY,
                uuid TEXT NOT NULL UNIQUE,
                counter INTEGER NOT NULL DEFAULT 0
            );
            CREATE TABLE version (
                replica INTEGER NOT NULL REFERENCES replica(id),
                counter INTEGER NOT NULL,
                record TEXT NOT NULL,
                kind TEXT NOT NULL,
                field TEXT NOT NULL,
                context TEXT NOT NULL,
                value TEXT NOT NULL,
                author TEXT NOT NULL,
                time INTEGER NOT NULL,
                PRIMARY KEY (replica, counter)
            ) WITHOUT ROWID;
            CREATE INDEX version_by_field ON version(record, field, replica, counter);
            CREATE TABLE record (
                id TEXT PRIMARY KEY NOT NULL,
                kind TEXT NOT NULL,
                deleted INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID;
            CREATE INDEX record_by_kind ON record(kind, id);
            CREATE TABLE field (
                record TEXT NOT NULL,
                name TEXT NOT NULL,
                joined TEXT NOT NULL,
                heads TEXT NOT NULL,
                value TEXT NOT NULL,
                conflict TEXT,
                PRIMARY KEY (record, name)
            ) WITHOUT ROWID;
            CREATE INDEX field_by_conflict ON field(conflict) WHERE conflict IS NOT NULL;
            """)
        try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('role', ?)", arguments: [role])
    }

    /// `cell show 20` finds the cell by an index lookup, not a scan of every cell.
    static func cellNumbers(_ db: Database) throws {
        try db.execute(sql: "CREATE INDEX field_cell_number ON field(value, record) WHERE name = 'number'")
    }

    /// Clocks (versions' contexts, fields' joined vectors and heads) are stored as
    /// ``ClockBlob``s naming replicas by row id instead of `uuid:counter` text. A first pass
    /// gives every replica a clock names a row; then each clock is rewritten in place. A
    /// malformed clock fails the step, and the file is left as it was.
    static func clockBlobs(_ db: Database) throws {
        var rows: [ReplicaID: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, uuid FROM replica") {
            guard let replica = ReplicaID(row[1] as String) else { throw clockError("a malformed replica id") }
            rows[replica] = row[0]
        }
        let add = try db.makeStatement(sql: "INSERT INTO replica (uuid, counter) VALUES (?, 0)")
        for (table, column) in [("version", "context"), ("field", "joined"), ("field", "heads")] {
            let clocks = try String.fetchCursor(db, sql: "SELECT \(column) FROM \(table)")
            var named: Set<ReplicaID> = []
            while let text = try clocks.next() {
                for dot in try oldClock(text) where rows[dot.replica] == nil { named.insert(dot.replica) }
            }
            for replica in named.sorted() {
                try add.execute(arguments: [replica.rawValue])
                rows[replica] = db.lastInsertedRowID
            }
        }
        let known = rows
        @Sendable func blob(_ value: DatabaseValue, sorted: Bool) throws -> Data {
            guard let text = String.fromDatabaseValue(value) else { throw clockError("a clock that is not text") }
            var pairs = try oldClock(text).map { (row: known[$0.replica]!, counter: $0.counter) }
            if sorted { pairs.sort { $0.row < $1.row } }
            return Data(ClockBlob.encode(pairs))
        }
        let vector = DatabaseFunction("fsync_clock_vector", argumentCount: 1, pure: true) { try blob($0[0], sorted: true) }
        let dots = DatabaseFunction("fsync_clock_dots", argumentCount: 1, pure: true) { try blob($0[0], sorted: false) }
        db.add(function: vector)
        db.add(function: dots)
        defer {
            db.remove(function: vector)
            db.remove(function: dots)
        }
        try db.execute(sql: """
            UPDATE version SET context = fsync_clock_vector(context);
            UPDATE field SET joined = fsync_clock_vector(joined), heads = fsync_clock_dots(heads);
            """)
    }

    /// The `uuid:counter,…` text clocks were stored as before ``clockBlobs(_:)``.
    private static func oldClock(_ text: String) throws -> [Dot] {
        do {
            return try StoreCoding.decodeDots(text)
        } catch {
            throw clockError("a malformed clock '\(text.prefix(60))'")
        }
    }

    /// Thrown as SQLite's error so that opening reports it as "cannot open PATH: …".
    private static func clockError(_ what: String) -> DatabaseError {
        DatabaseError(resultCode: .SQLITE_CORRUPT, message: """
            upgrading it found \(what); the file was left as it was. \
            Run PRAGMA integrity_check on it, or restore it from a backup
            """)
    }

    /// Versions and field states name their record by an integer row id instead of its
    /// 36-character uuid: every version row, every entry of `version_by_field` and every field
    /// key shrink by about 34 bytes, and SQLite compares integers instead of text on each
    /// insert. The tables are copied whole; the copy must hold every row, or the step fails
    /// and leaves the file as it was.
    static func recordRows(_ db: Database) throws {
        let before = try rowCounts(db, suffix: "")
        try db.execute(sql: """
            CREATE TABLE record_v4 (
                id INTEGER PRIMARY KEY,
                uuid TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                deleted INTEGER NOT NULL DEFAULT 0
            );
            INSERT INTO record_v4 (uuid, kind, deleted) SELECT id, kind, deleted FROM record ORDER BY id;
            CREATE TABLE version_v4 (
                replica INTEGER NOT NULL REFERENCES replica(id),
                counter INTEGER NOT NULL,
                record INTEGER NOT NULL REFERENCES record(id),
                kind TEXT NOT NULL,
                field TEXT NOT NULL,
                context TEXT NOT NULL,
                value TEXT NOT NULL,
                author TEXT NOT NULL,
                time INTEGER NOT NULL,
                PRIMARY KEY (replica, counter)
            ) WITHOUT ROWID;
            INSERT INTO version_v4 (replica, counter, record, kind, field, context, value, author, time)
                SELECT v.replica, v.counter, r.id, v.kind, v.field, v.context, v.value, v.author, v.time
                FROM version v JOIN record_v4 r ON r.uuid = v.record ORDER BY v.replica, v.counter;
            CREATE TABLE field_v4 (
                record INTEGER NOT NULL,
                name TEXT NOT NULL,
                joined TEXT NOT NULL,
                heads TEXT NOT NULL,
                value TEXT NOT NULL,
                conflict TEXT,
                PRIMARY KEY (record, name)
            ) WITHOUT ROWID;
            INSERT INTO field_v4 (record, name, joined, heads, value, conflict)
                SELECT r.id, f.name, f.joined, f.heads, f.value, f.conflict
                FROM field f JOIN record_v4 r ON r.uuid = f.record ORDER BY r.id, f.name;
            """)
        let copied = try rowCounts(db, suffix: "_v4")
        guard copied == before else {
            // Thrown as SQLite's error so that opening reports it as "cannot open PATH: …".
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: """
                upgrading it found versions or field states of records it does not list \
                (records, versions, fields: \(before) before, \(copied) copied); the file was left as it was. \
                Run PRAGMA integrity_check on it, or restore it from a backup
                """)
        }
        try db.execute(sql: """
            DROP TABLE version;
            DROP TABLE field;
            DROP TABLE record;
            ALTER TABLE record_v4 RENAME TO record;
            ALTER TABLE version_v4 RENAME TO version;
            ALTER TABLE field_v4 RENAME TO field;
            CREATE INDEX record_by_kind ON record(kind, uuid);
            CREATE INDEX version_by_field ON version(record, field, replica, counter);
            CREATE INDEX field_by_conflict ON field(conflict) WHERE conflict IS NOT NULL;
            CREATE INDEX field_cell_number ON field(value, record) WHERE name = 'number';
            """)
    }

    /// The numbers of rows of `record`, `version` and `field`, each name followed by `suffix`.
    private static func rowCounts(_ db: Database, suffix: String) throws -> [Int] {
        try ["record", "version", "field"].map { table in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)\(suffix)") ?? 0 }
    }
}
