import PostgresNIO
import SyncModel
package import SyncProtocol

/// What `sync-server status` reads: who synced when, and how far behind each replica is.
extension PostgresServerStore {
    package func replicaActivity() async throws -> [ReplicaActivity] {
        try await mapErrors { [self] in
            var result: [ReplicaActivity] = []
            let rows = try await client.query("""
                SELECT replica, analyst, last_sync, reached FROM replica_owner ORDER BY analyst COLLATE "C", replica COLLATE "C"
                """, logger: logger)
            for try await (replica, analyst, lastSync, reached) in rows.decode((String, String, Int64?, Int64?).self) {
                if let id = ReplicaID(replica) {
                    result.append(ReplicaActivity(replica: id, analyst: analyst, lastSync: lastSync, reached: reached.map { UInt64($0) }))
                }
            }
            return result
        }
    }

    /// The feed's head, the analysts' access versions summed and the placement log's head: one
    /// round trip reading two one-row tables and the (small) analyst table.
    package func changeStamp() async throws -> ChangeStamp {
        try await mapErrors { [self] in
            let rows = try await client.query("""
                SELECT (SELECT seq FROM feed_head), (SELECT coalesce(sum(access_version), 0)::bigint FROM analyst), (SELECT seq FROM placement_head)
                """, logger: logger)
            for try await (feed, access, placements) in rows.decode((Int64?, Int64, Int64?).self) {
                return ChangeStamp(feed: UInt64(feed ?? 0), access: UInt64(access), placements: UInt64(placements ?? 0))
            }
            return ChangeStamp(feed: 0)
        }
    }

    package func feedHead() async throws -> FeedCursor {
        try await mapErrors { [self] in
            for try await (seq, chain) in try await client.query("SELECT seq, chain FROM feed_head", logger: logger).decode((Int64, Int64).self) {
                return FeedCursor(seq: UInt64(seq), chain: UInt64(bitPattern: chain))
            }
            return .start
        }
    }
}

extension PostgresServerStore {
    /// The database's size on disk, in bytes (`pg_database_size`).
    package func databaseSize() async throws -> Int64 {
        try await mapErrors { [self] in
            for try await size in try await client.query("SELECT pg_database_size(current_database())", logger: logger).decode(Int64.self) {
                return size
            }
            return 0
        }
    }
}
