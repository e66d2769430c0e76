import GRDB
public import SyncModel
public import SyncProtocol

/// A replica file as a sync reaches it (see ``SyncDriver``).
extension Replica: SyncReplica {
    public func syncStart() throws -> SyncStart {
        try store.read { db in try syncStart(db) }
    }

    public func syncStart(conflictLimit: Int) throws -> (start: SyncStart, parts: RequestParts) {
        try store.read { db in
            let start = try syncStart(db)
            return (start, try requestParts(for: [], conflictLimit: conflictLimit, access: true, acknowledged: start.acknowledged, db))
        }
    }

    /// With a feed cursor, the vector is the own replicas' counters alone: a pull by cursor sends
    /// and reads nothing else, and a replica that has pulled from a thousand others would
    /// otherwise read and parse a thousand rows on every sync (the no-op sync took 2.5 times as
    /// long with 1,000 replicas known as with 10).
    private func syncStart(_ db: Database) throws -> SyncStart {
        let own = try ownReplicas(db)
        let cursor = try Self.serverCursor(db)
        return SyncStart(own: own, acknowledged: try Self.lastServerVector(db), cursor: cursor,
                         vector: cursor == nil ? try VersionTable.versionVector(db) : try VersionTable.versionVector(of: own, db),
                         publicKey: try cachedSigningKey(db)?.publicKey, access: try Self.accessCursor(db))
    }

    public func outgoing(acknowledged: VersionVector, limit: Int, ownOnly: Bool, budget: PageBudget) throws -> (vector: VersionVector, versions: [Version]) {
        try store.read { db in
            let own = try ownReplicas(db)
            let page = try VersionTable.versions(db, notCoveredBy: acknowledged, limit: limit, replicas: own, budget: budget)
            let vector = ownOnly ? try VersionTable.versionVector(of: own, db) : try VersionTable.versionVector(db)
            return (vector, page.versions)
        }
    }

    public func counters(of replicas: Set<ReplicaID>) throws -> VersionVector {
        try store.versionVector(of: replicas)
    }

    public func check(_ versions: [Version]) throws -> PreparedVersions {
        try store.prepare(versions)
    }
}
