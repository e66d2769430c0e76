import GRDB
import SyncModel
import SyncProtocol

/// A server file's tables and migrations: versions, records (for their kinds), the feed,
/// analysts and the replicas bound to them. No field state: the server never merges.
///
/// Server files began as a replica's schema plus the server's tables, so the first steps are
/// the ones replicas share (``StoreSchema``); `v8-server-versions` then drops what only a
/// replica reads. Every step is kept, so a file of any earlier release upgrades, keeping every
/// version, binding and feed position (clients' cursors stay valid).
enum ServerSchema {
    static let kind = DatabaseFile.Kind(
        role: "server", migrator: migrator, migrations: migrations, exampleName: "server.sqlite",
        missing: { path in
            StoreError.cannotOpen(path: path, reason: "no such file; check the path (a new server database is made only by `sync-server serve` without --db, or with --create)")
        },
        opensReadOnly: false
    )

    /// Every step a server file takes, in order.
    static let migrations: Set<String> = [
        "v1-versions", "v1-server", "v2-cell-numbers", "v3-server-feed", "v4-record-rows", "v5-clock-blobs", "v7-replica-keys",
        "v8-server-versions", "v9-replica-activity", "v10-compartments", "v11-conflicts", "v12-bundle-applies",
    ]

    @Sendable static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-versions") { db in try StoreSchema.versionTables(db, role: kind.role) }
        migrator.registerMigration("v1-server") { db in
            try db.execute(sql: """
                CREATE TABLE analyst (
                    name TEXT PRIMARY KEY NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    created INTEGER NOT NULL,
                    revoked INTEGER
                ) WITHOUT ROWID;
                CREATE TABLE replica_owner (
                    replica TEXT PRIMARY KEY NOT NULL,
                    analyst TEXT NOT NULL REFERENCES analyst(name),
                    bound INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2-cell-numbers", migrate: StoreSchema.cellNumbers)
        migrator.registerMigration("v3-server-feed", migrate: feed)
        migrator.registerMigration("v4-record-rows", migrate: StoreSchema.recordRows)
        migrator.registerMigration("v5-clock-blobs", migrate: StoreSchema.clockBlobs)
        migrator.registerMigration("v7-replica-keys") { db in
            // The public signing key each replica sent at its first sync with one.
            try db.execute(sql: "ALTER TABLE replica_owner ADD COLUMN public_key BLOB")
        }
        migrator.registerMigration("v8-server-versions") { db in
            // The server stores and serves versions; field states, conflicts and the index that
            // finds a field's versions were kept up to date on every push and never read.
            try db.execute(sql: """
                DROP TABLE field;
                DROP INDEX version_by_field;
                DROP INDEX record_by_kind;
                """)
        }
        migrator.registerMigration("v9-replica-activity") { db in
            // Each replica's last exchange and the feed position its answer reached, for
            // `sync-server status` (see ReplicaActivity).
            try db.execute(sql: """
                ALTER TABLE replica_owner ADD COLUMN last_sync INTEGER;
                ALTER TABLE replica_owner ADD COLUMN reached INTEGER;
                """)
        }
        migrator.registerMigration("v10-compartments", migrate: compartments)
        // Conflicts as replicas report them, and bundle applies by result: operators' counts
        // (see ServerConflicts, BundleApplyTally).
        migrator.registerMigration("v11-conflicts", migrate: ServerConflicts.create)
        migrator.registerMigration("v12-bundle-applies", migrate: BundleApplyTally.create)
        return migrator
    }

    /// Need-to-know (see ``AccessRules``): compartments, analysts' clearances and the default
    /// compartment of each one's new records, each record's access class (the set of its
    /// compartments, `access_class.compartments` as sorted ids joined by commas), and the log
    /// of placements (a record's class changing) that replicas follow. Every record and every
    /// analyst starts in `default`, so a team that never makes a compartment works as before.
    /// `cell_number`, `signal_tag` and `signal_ref` (which cells a signal names, by number and by
    /// id) are kept only once a second compartment exists, when they are first filled from the
    /// versions.
    private static func compartments(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE compartment (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                created INTEGER NOT NULL
            );
            INSERT INTO compartment (id, name, created) VALUES (1, 'default', 0);
            CREATE TABLE clearance (
                analyst TEXT NOT NULL REFERENCES analyst(name),
                compartment INTEGER NOT NULL REFERENCES compartment(id),
                write INTEGER NOT NULL,
                PRIMARY KEY (analyst, compartment)
            ) WITHOUT ROWID;
            INSERT INTO clearance (analyst, compartment, write) SELECT name, 1, 1 FROM analyst;
            ALTER TABLE analyst ADD COLUMN home INTEGER NOT NULL DEFAULT 1;
            ALTER TABLE analyst ADD COLUMN access_version INTEGER NOT NULL DEFAULT 1;
            CREATE TABLE access_class (
                id INTEGER PRIMARY KEY,
                compartments TEXT NOT NULL UNIQUE
            );
            INSERT INTO access_class (id, compartments) VALUES (1, '1');
            ALTER TABLE record ADD COLUMN class INTEGER NOT NULL DEFAULT 1;
            CREATE TABLE placement (
                seq INTEGER PRIMARY KEY,
                record INTEGER NOT NULL,
                before INTEGER NOT NULL,
                after INTEGER NOT NULL,
                time INTEGER NOT NULL
            );
            CREATE TABLE cell_number (
                number INTEGER NOT NULL,
                record INTEGER NOT NULL,
                PRIMARY KEY (number, record)
            ) WITHOUT ROWID;
            CREATE TABLE signal_tag (
                number INTEGER NOT NULL,
                signal INTEGER NOT NULL,
                PRIMARY KEY (number, signal)
            ) WITHOUT ROWID;
            CREATE TABLE signal_ref (
                cell TEXT NOT NULL,
                signal INTEGER NOT NULL,
                PRIMARY KEY (cell, signal)
            ) WITHOUT ROWID;
            """)
    }

    /// Every stored version, numbered in arrival order, so a client that has synced asks for
    /// "what came after my cursor" instead of sending its whole vector.
    private static func feed(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE feed (
                seq INTEGER PRIMARY KEY,
                replica INTEGER NOT NULL,
                counter INTEGER NOT NULL,
                chain INTEGER NOT NULL
            );
            """)
        try feedStoredVersions(db)
    }

    /// Enters versions stored before the feed existed in it, in replica, counter order.
    static func feedStoredVersions(_ db: Database) throws {
        var cursor = FeedCursor.start
        let rows = try Row.fetchCursor(db, sql: """
            SELECT replica.uuid, version.replica, version.counter FROM version
            JOIN replica ON replica.id = version.replica ORDER BY version.replica, version.counter
            """)
        let insert = try db.makeStatement(sql: "INSERT INTO feed (seq, replica, counter, chain) VALUES (?, ?, ?, ?)")
        while let row = try rows.next() {
            guard let replica = ReplicaID(row[0] as String) else {
                throw StoreError.damaged("the database holds a malformed replica id")
            }
            cursor = cursor.advanced(by: Dot(replica: replica, counter: UInt64(row[2] as Int64)))
            try insert.execute(arguments: [Int64(cursor.seq), row[1] as Int64, row[2] as Int64, Int64(bitPattern: cursor.chain)])
        }
    }
}
