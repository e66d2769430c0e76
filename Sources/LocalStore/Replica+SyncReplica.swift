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

    private func syncStart(_ db: Database) throws -> SyncStart {
        SyncStart(own: try ownReplicas(db), acknowledged: try Self.lastServerVector(db),
                  cursor: try Self.serverCursor(db), vector: try VersionTable.versionVector(db),
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
