package import Foundation
import Logging
import PostgresNIO
package import SyncModel
package import SyncProtocol

/// Filling an empty store from another one (`sync-server migrate`).
extension PostgresServerStore {
    /// What a load copied.
    package struct Loaded: Sendable {
        package var analysts: Int
        package var replicas: Int
        package var versions: Int
        package var compartments = 0
        package var clearances = 0
        package var placements = 0
        /// The feed's last position, with the same chain as the source's: clients' cursors stay valid.
        package var head: FeedCursor
    }

    /// Copies analysts, bindings and every version, in feed order, into this store, in one
    /// transaction: all or nothing. Refuses a store that holds anything. `nextPage` returns
    /// the source's feed after a position (an empty page at its end); each page is stored as a
    /// push is, with the same checks, and the feed's chain is computed afresh, so it matches the
    /// source's only if every version arrived whole and in order: a copy that does not end at
    /// `head`, the source's last position, is rolled back. `conflicts` (as replicas reported
    /// them) and `bundleApplies` are copied too: replicas do not report again what the source
    /// acknowledged, and their cursors stay valid. Need-to-know (`access`) is copied as the
    /// source keeps it, with its placement log's positions and each analyst's access version, so
    /// that replicas' access cursors stay valid too; the versions are stored without judging
    /// their authors' clearances again (a clearance revoked since does not undo a write). With
    /// no `access` (a source that keeps none), every analyst is cleared to write the default
    /// compartment, as ``addAnalyst(name:tokenHash:at:)`` clears a new one.
    package func load(
        analysts: [(analyst: Analyst, tokenHash: String)], bindings: [(replica: ReplicaID, analyst: String, bound: Int64, publicKey: Data?)],
        bundleKey: BundleKey? = nil, conflicts: [(id: String, opened: Int64, closed: Int64?)] = [], bundleApplies: [BundleApplyResult: Int] = [:],
        access: StoredAccess? = nil, head: FeedCursor, nextPage: @escaping @Sendable (FeedCursor) throws -> [Version]
    ) async throws -> Loaded {
        // A whole store may take minutes to copy: a day's bound, not a request's.
        try await mapErrors(deadline: 86_400) { [self] in
            let logger = self.logger
            return try await client.withTransaction(logger: logger) { connection in
                for table in ["analyst", "replica_owner", "version"] {
                    for try await count in try await connection.query("SELECT count(*) FROM \(unescaped: table)", logger: logger).decode(Int64.self) where count > 0 {
                        throw PostgresStoreError.foreign("the target database already holds data (\(count) rows in \(table)); migrate only into an empty database, so that nothing there is mixed with the copy")
                    }
                }
                for (analyst, hash) in analysts {
                    try await connection.query("""
                        INSERT INTO analyst (name, token_hash, created, revoked) VALUES (\(analyst.name), \(hash), \(analyst.created), \(analyst.revoked))
                        """, logger: logger)
                }
                var position = FeedCursor.start
                var versions = 0
                var replicas: Set<ReplicaID> = []
                while true {
                    let page = try nextPage(position)
                    guard !page.isEmpty else { break }
                    let work = ExchangeWork(analyst: "", claimed: [], versions: page, counted: [], page: PageQuery(.notCoveredBy(VersionVector()), limit: 1), time: 0)
                    let report = try await Self.push(work, ownership: { _ in }, authorizing: false, connection, logger)
                    guard report.new == page.count else {
                        throw PostgresStoreError.foreign("the source's feed lists a version twice; nothing was copied. Check the source with `PRAGMA integrity_check`")
                    }
                    for version in page {
                        position = position.advanced(by: version.dot)
                        replicas.insert(version.dot.replica)
                    }
                    versions += page.count
                }
                guard position == head else {
                    throw PostgresStoreError.foreign("the copy's feed ends at \(position), the source's at \(head); nothing was copied. Check the source with `PRAGMA integrity_check` and try again")
                }
                if let bundleKey {
                    try await connection.query("INSERT INTO bundle_key (one, private_key) VALUES (true, \(bundleKey.privateKey)) ON CONFLICT (one) DO UPDATE SET private_key = excluded.private_key", logger: logger)
                }
                for binding in bindings {
                    try await connection.query("""
                        INSERT INTO replica_owner (replica, analyst, bound, public_key)
                        VALUES (\(binding.replica.rawValue), \(binding.analyst), \(binding.bound), \(binding.publicKey))
                        """, logger: logger)
                }
                if !conflicts.isEmpty {
                    let open = conflicts.filter { $0.closed == nil }, closed = conflicts.compactMap { row in row.closed.map { (row.id, row.opened, $0) } }
                    try await connection.query("""
                        INSERT INTO conflict (id, opened) SELECT * FROM unnest(\(open.map(\.id))::text[], \(open.map(\.opened))::bigint[])
                        """, logger: logger)
                    try await connection.query("""
                        INSERT INTO conflict (id, opened, closed)
                        SELECT * FROM unnest(\(closed.map(\.0))::text[], \(closed.map(\.1))::bigint[], \(closed.map(\.2))::bigint[])
                        """, logger: logger)
                    try await connection.query("UPDATE conflict_tally SET opened = \(conflicts.count), open = \(open.count)", logger: logger)
                }
                for (result, count) in bundleApplies {
                    try await connection.query("""
                        INSERT INTO bundle_apply (result, reason, count) VALUES (\(result.result), \(result.reason?.rawValue ?? ""), \(count))
                        """, logger: logger)
                }
                var copied = access ?? StoredAccess()
                if access == nil {
                    copied.clearances = analysts.map { (analyst: $0.analyst.name, compartment: Compartment.defaultID, write: true) }
                }
                try await Self.load(copied, connection, logger)
                var loaded = Loaded(analysts: analysts.count, replicas: replicas.count, versions: versions, head: position)
                (loaded.compartments, loaded.clearances, loaded.placements) = (copied.compartments.count, copied.clearances.count, copied.placements.count)
                return loaded
            }
        }
    }

    /// Copies need-to-know into a store that holds the source's analysts and versions (every
    /// record still in the default compartment), keeping the source's compartment ids.
    private static func load(_ access: StoredAccess, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let compartments = access.compartments
        if !compartments.isEmpty {
            try await connection.query("""
                INSERT INTO compartment (id, name, created)
                SELECT * FROM unnest(\(compartments.map(\.id))::bigint[], \(compartments.map(\.name))::text[], \(compartments.map(\.created))::bigint[])
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, created = excluded.created
                """, logger: logger)
            // New compartments are numbered after the copied ones.
            try await connection.query("SELECT setval('compartment_id_seq', (SELECT max(id) FROM compartment))", logger: logger)
        }
        let analysts = access.analysts
        try await connection.query("""
            UPDATE analyst SET home = u.home, access_version = u.version
            FROM unnest(\(analysts.map(\.name))::text[], \(analysts.map(\.home))::bigint[], \(analysts.map { Int64(clamping: $0.version) })::bigint[]) AS u (name, home, version)
            WHERE analyst.name = u.name
            """, logger: logger)
        let clearances = access.clearances
        try await connection.query("""
            INSERT INTO clearance (analyst, compartment, write)
            SELECT * FROM unnest(\(clearances.map(\.analyst))::text[], \(clearances.map(\.compartment))::bigint[], \(clearances.map(\.write))::boolean[])
            """, logger: logger)
        let records = access.records
        try await connection.query("""
            UPDATE record SET compartments = u.compartments::bigint[]
            FROM unnest(\(records.map(\.record.rawValue))::text[], \(records.map { PlacementChanges.text($0.compartments) })::text[]) AS u (id, compartments)
            WHERE record.id = u.id
            """, logger: logger)
        let placements = access.placements
        try await connection.query("""
            INSERT INTO placement (seq, record, before, after, time)
            SELECT u.seq, u.record, u.before::bigint[], u.after::bigint[], u.time
            FROM unnest(\(placements.map { Int64(clamping: $0.seq) })::bigint[], \(placements.map(\.record.rawValue))::text[],
                        \(placements.map { PlacementChanges.text($0.before) })::text[], \(placements.map { PlacementChanges.text($0.after) })::text[],
                        \(placements.map(\.time))::bigint[]) AS u (seq, record, before, after, time)
            """, logger: logger)
        if let last = placements.last {
            try await connection.query("UPDATE placement_head SET seq = \(Int64(clamping: last.seq))", logger: logger)
        }
        try await connection.query("""
            INSERT INTO cell_number (number, record)
            SELECT * FROM unnest(\(access.cellNumbers.map(\.number))::bigint[], \(access.cellNumbers.map(\.record.rawValue))::text[])
            """, logger: logger)
        try await connection.query("""
            INSERT INTO signal_tag (number, signal)
            SELECT * FROM unnest(\(access.signalTags.map(\.number))::bigint[], \(access.signalTags.map(\.signal.rawValue))::text[])
            """, logger: logger)
        try await connection.query("""
            INSERT INTO signal_ref (cell, signal)
            SELECT * FROM unnest(\(access.signalRefs.map(\.cell.rawValue))::text[], \(access.signalRefs.map(\.signal.rawValue))::text[])
            """, logger: logger)
    }
}
