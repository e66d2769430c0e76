import Logging
import PostgresNIO

/// The PostgreSQL store's schema, as numbered steps applied in order and kept forever: a
/// database made by any earlier version is brought up to date, and one holding a step this
/// version does not know is refused untouched.
package enum PostgresSchema {
    /// Every step, oldest first. A step once released never changes; a change is a new step.
    static let steps: [(name: String, statements: [PostgresQuery])] = [
        ("1-server-store", [
            """
            CREATE TABLE analyst (
                name text PRIMARY KEY, token_hash text NOT NULL, created bigint NOT NULL, revoked bigint)
            """,
            "CREATE TABLE replica_owner (replica text PRIMARY KEY, analyst text NOT NULL REFERENCES analyst (name), bound bigint NOT NULL)",
            // Each replica's highest stored counter; its row is locked by a push of its versions,
            // so counters stay contiguous whatever instance stores them.
            "CREATE TABLE replica (id bigserial PRIMARY KEY, uuid text NOT NULL UNIQUE, counter bigint NOT NULL DEFAULT 0)",
            "CREATE TABLE record (id text PRIMARY KEY, kind text NOT NULL)",
            // Each version with its place in the feed: `seq`, its arrival order, and `chain`, the
            // hash of every dot up to it (see FeedCursor). Its replica and record rows are made by
            // the same push, under its locks, so foreign keys would only check that again per row.
            """
            CREATE TABLE version (
                replica bigint NOT NULL, counter bigint NOT NULL, record text NOT NULL, field text NOT NULL,
                context text NOT NULL, value text NOT NULL, author text NOT NULL, time bigint NOT NULL,
                seq bigint NOT NULL UNIQUE, chain bigint NOT NULL,
                PRIMARY KEY (replica, counter))
            """,
            // The feed's last position. A push locks it as its last step and holds it until it
            // commits, so positions are handed out in commit order and a reader only ever sees a
            // prefix of the feed with no gaps.
            "CREATE TABLE feed_head (one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL, chain bigint NOT NULL)",
            "INSERT INTO feed_head (one, seq, chain) VALUES (true, 0, 0)",
        ]),
        // The public signing key each replica sent at its first sync with one.
        ("2-replica-keys", ["ALTER TABLE replica_owner ADD COLUMN public_key bytea"]),
        // The server's private key for sealed bundles, one for every instance.
        ("3-bundle-key", ["CREATE TABLE bundle_key (one boolean PRIMARY KEY DEFAULT true CHECK (one), private_key bytea NOT NULL)"]),
        // Each replica's last exchange and the feed position its answer reached, for `sync-server status`.
        ("4-replica-activity", ["ALTER TABLE replica_owner ADD COLUMN last_sync bigint, ADD COLUMN reached bigint"]),
        // Conflicts as replicas report them, with a one-row tally of how many were opened and
        // are open, kept by the transaction that records a report (see PostgresServerStore+Tallies).
        ("5-conflicts", [
            "CREATE TABLE conflict (id text PRIMARY KEY, opened bigint NOT NULL, closed bigint)",
            "CREATE TABLE conflict_tally (one boolean PRIMARY KEY DEFAULT true CHECK (one), opened bigint NOT NULL, open bigint NOT NULL)",
            "INSERT INTO conflict_tally (one, opened, open) VALUES (true, 0, 0)",
        ]),
        // How many `bundle apply`s ended with each result and reason (a fixed set).
        ("6-bundle-applies", ["CREATE TABLE bundle_apply (result text NOT NULL, reason text NOT NULL, count bigint NOT NULL, PRIMARY KEY (result, reason))"]),
        // Need-to-know (see AccessRules and PostgresAccess): compartments, analysts' clearances,
        // the compartment of each one's new records and the version of their access, each
        // record's compartments, and the log of placements (a record's compartments changing)
        // that replicas follow. Every analyst and record starts in `default` (id 1), so a team
        // that never makes a compartment works as before. A record's compartments are a sorted
        // array of ids rather than an id of a shared class row: no class row to make, so no
        // transaction ever waits on another's new class. Placements are numbered under the
        // one-row placement head, held to the commit, so they are handed out in commit order as
        // the feed's positions are. `cell_number` and `signal_tag` are filled only once a second
        // compartment exists.
        ("7-compartments", [
            "CREATE TABLE compartment (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, created bigint NOT NULL)",
            "INSERT INTO compartment (id, name, created) VALUES (1, 'default', 0)",
            "SELECT setval('compartment_id_seq', 1)",
            """
            CREATE TABLE clearance (
                analyst text NOT NULL REFERENCES analyst (name), compartment bigint NOT NULL REFERENCES compartment (id),
                write boolean NOT NULL, PRIMARY KEY (analyst, compartment))
            """,
            "INSERT INTO clearance (analyst, compartment, write) SELECT name, 1, true FROM analyst",
            "ALTER TABLE analyst ADD COLUMN home bigint NOT NULL DEFAULT 1 REFERENCES compartment (id), ADD COLUMN access_version bigint NOT NULL DEFAULT 1",
            "ALTER TABLE record ADD COLUMN compartments bigint[] NOT NULL DEFAULT '{1}'",
            "CREATE TABLE placement (seq bigint PRIMARY KEY, record text NOT NULL, before bigint[] NOT NULL, after bigint[] NOT NULL, time bigint NOT NULL)",
            "CREATE TABLE placement_head (one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL)",
            "INSERT INTO placement_head (one, seq) VALUES (true, 0)",
            "CREATE TABLE cell_number (number bigint NOT NULL, record text NOT NULL, PRIMARY KEY (number, record))",
            "CREATE INDEX cell_number_by_record ON cell_number (record)",
            "CREATE TABLE signal_tag (number bigint NOT NULL, signal text NOT NULL, PRIMARY KEY (number, signal))",
            // The cells signals name by id, held or not yet: a cell made later widens them then.
            "CREATE TABLE signal_ref (cell text NOT NULL, signal text NOT NULL, PRIMARY KEY (cell, signal))",
        ]),
    ]

    /// The SQL of every step up to and including `last`, with the record of each as applied:
    /// a database as that release of sync-server left it, for tests of upgrades.
    package static func sql(through last: String) -> [String] {
        var sql: [String] = []
        for step in steps {
            if sql.isEmpty { sql.append("CREATE TABLE field_sync_migration (step text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())") }
            sql += step.statements.map(\.sql) + ["INSERT INTO field_sync_migration (step) VALUES ('\(step.name)')"]
            if step.name == last { break }
        }
        return sql
    }

    /// Applies the steps the database lacks, one instance at a time (an advisory lock held by
    /// the migrating transaction), and refuses a database with steps this version does not know.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(7242011)", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS field_sync_migration (step text PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())", logger: logger)
            var applied: Set<String> = []
            for try await step in try await connection.query("SELECT step FROM field_sync_migration", logger: logger).decode(String.self) {
                applied.insert(step)
            }
            let unknown = applied.subtracting(steps.map(\.name))
            guard unknown.isEmpty else {
                throw PostgresStoreError.foreign("the database was written by a newer version of field-sync (schema steps \(unknown.sorted().joined(separator: ", ")) are unknown here); it was left untouched. Upgrade sync-server to use it.")
            }
            if applied.isEmpty {
                let tables = try await connection.query("""
                    SELECT count(*) FROM information_schema.tables
                    WHERE table_schema = current_schema() AND table_name <> 'field_sync_migration'
                    """, logger: logger).decode(Int64.self)
                for try await count in tables where count > 0 {
                    throw PostgresStoreError.foreign("the database holds \(count) tables of another program; give sync-server an empty database of its own")
                }
            }
            for step in steps where !applied.contains(step.name) {
                for statement in step.statements { try await connection.query(statement, logger: logger) }
                try await connection.query("INSERT INTO field_sync_migration (step) VALUES (\(step.name))", logger: logger)
            }
        }
    }
}
