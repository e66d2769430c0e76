import GRDB
import SyncModel
public import SyncProtocol

/// What `sync-server status` reads: who synced when, and how far behind each replica is.
extension SQLiteServerStore {
    public func replicaActivity() throws -> [ReplicaActivity] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT replica, analyst, last_sync, reached FROM replica_owner ORDER BY analyst, replica").compactMap { row in
                ReplicaID(row[0] as String).map { replica in
                    ReplicaActivity(replica: replica, analyst: row[1], lastSync: row[2], reached: (row[3] as Int64?).map { UInt64($0) })
                }
            }
        }
    }
}

extension SQLiteServerStore {
    /// The feed's head, the analysts' access versions summed and the placement log's head, in
    /// one statement of three index lookups and a scan of the (small) analyst table.
    public func changeStamp() async throws -> ChangeStamp {
        try await readWithoutBlocking { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT (SELECT coalesce(max(seq), 0) FROM feed), (SELECT coalesce(sum(access_version), 0) FROM analyst),
                       (SELECT coalesce(max(seq), 0) FROM placement)
                """)) else { return ChangeStamp(feed: 0) }
            return ChangeStamp(feed: UInt64(row[0] as Int64), access: UInt64(row[1] as Int64), placements: UInt64(row[2] as Int64))
        }
    }

    /// Reads the file's schema on a connection of the pool, so a file that went away or can no
    /// longer be read is reported (`GET /v1/ready`).
    /// - Throws: ``StoreError`` saying what SQLite found.
    public func checkReachable() throws {
        _ = try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
    }
}
