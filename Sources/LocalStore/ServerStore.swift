import GRDB
public import SyncModel

/// An analyst known to the server.
public struct Analyst: Sendable, Equatable {
    public var name: String
    public var created: Int64
    public var revoked: Int64?

    public init(name: String, created: Int64, revoked: Int64?) {
        self.name = name
        self.created = created
        self.revoked = revoked
    }
}

/// What one sync exchange answers: the server's counters (after storing the pushed versions)
/// for the replicas the client named, and a page of versions the client lacks.
public struct Exchange: Sendable {
    public var vector: VersionVector
    public var versions: [Version]
    public var more: Bool
    /// The feed position the client has reached with this page; nil while a vector-mode pull
    /// has more to come, and nil when the client's cursor was refused.
    public var cursor: FeedCursor?
    public var report: ApplyReport
}

/// The server's store: the same version engine as a replica, plus analysts and replica ownership.
public struct ServerStore: Sendable {
    public let store: Store

    /// Opens the server database at `path`; makes a new one there only when `create` is true
    /// (otherwise a missing file is refused, so a mistyped path never serves an empty store).
    public static func open(path: String, create: Bool = true) throws -> ServerStore {
        ServerStore(store: try Store.open(path: path, role: .server, create: create))
    }

    /// A server store in memory, for tests and benchmarks.
    public static func inMemory() throws -> ServerStore {
        ServerStore(store: try Store.inMemory(role: .server))
    }

    /// Registers an analyst by the SHA-256 hex of their token (the token itself is never stored).
    public func addAnalyst(name: String, tokenHash: String, at time: Int64) throws {
        try store.transaction { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM analyst WHERE name = ?", arguments: [name]) != nil {
                throw StoreError.analystExists(name)
            }
            try db.execute(sql: "INSERT INTO analyst (name, token_hash, created) VALUES (?, ?, ?)",
                           arguments: [name, tokenHash, time])
        }
    }

    /// The active (not revoked) analyst named `name`, with the stored hash of their token.
    public func activeAnalyst(named name: String) async throws -> (analyst: Analyst, tokenHash: String)? {
        try await store.writer.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT name, created, revoked, token_hash FROM analyst WHERE name = ? AND revoked IS NULL"),
                             arguments: [name])
                .map { (Analyst(name: $0[0], created: $0[1], revoked: $0[2]), $0[3]) }
        }
    }

    public func analysts() throws -> [Analyst] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT name, created, revoked FROM analyst ORDER BY name")
                .map { Analyst(name: $0[0], created: $0[1], revoked: $0[2]) }
        }
    }

    /// Gives an analyst, active or revoked, a new token by the SHA-256 hex of it: the old one
    /// stops syncing at once; a revoked analyst stays revoked until reinstated.
    /// - Returns: whether the analyst is revoked.
    public func replaceToken(name: String, tokenHash: String) throws -> Bool {
        try store.transaction { db in
            guard let revoked = try Row.fetchOne(db, sql: "SELECT revoked FROM analyst WHERE name = ?", arguments: [name]) else {
                throw StoreError.analystNotFound(name)
            }
            try db.execute(sql: "UPDATE analyst SET token_hash = ? WHERE name = ?", arguments: [tokenHash, name])
            return !revoked.hasNull(atIndex: 0)
        }
    }

    /// Lets a revoked analyst sync again with their current token; their replicas are still theirs.
    /// - Returns: false when the analyst was not revoked.
    public func reinstate(name: String) throws -> Bool {
        try store.transaction { db in
            try db.execute(sql: "UPDATE analyst SET revoked = NULL WHERE name = ? AND revoked IS NOT NULL", arguments: [name])
            if db.changesCount == 0 {
                guard try Int.fetchOne(db, sql: "SELECT 1 FROM analyst WHERE name = ?", arguments: [name]) != nil else {
                    throw StoreError.analystNotFound(name)
                }
                return false
            }
            return true
        }
    }

    /// Revokes an analyst's token; their replicas stay theirs.
    public func revoke(name: String, at time: Int64) throws {
        try store.transaction { db in
            try db.execute(sql: "UPDATE analyst SET revoked = ? WHERE name = ? AND revoked IS NULL", arguments: [time, name])
            if db.changesCount == 0 {
                guard try Int.fetchOne(db, sql: "SELECT 1 FROM analyst WHERE name = ?", arguments: [name]) != nil else {
                    throw StoreError.analystNotFound(name)
                }
            }
        }
    }

    /// The replicas bound to each analyst.
    public func owners() throws -> [ReplicaID: String] {
        try store.read { db in
            var result: [ReplicaID: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT replica, analyst FROM replica_owner") {
                if let replica = ReplicaID(row[0] as String) { result[replica] = row[1] }
            }
            return result
        }
    }

    /// One sync request, in one transaction: checks that every pushed version's replica belongs
    /// to `analyst` (binding new replicas to them) and is signed by them, stores the versions,
    /// and answers with a page of what the client lacks (at most `pageLimit` versions, and no
    /// more than ``PageBudget/syncBytes``). All or nothing.
    ///
    /// With a `cursor` the page is the feed after it, leaving out the replicas of `clientVector`
    /// (then only the client's own); a cursor this feed does not honour gets an empty page, no
    /// cursor and `more`, so the client re-sends its whole vector. Without one the page is what
    /// `clientVector` does not cover, and the last page carries the feed's head as the cursor.
    /// The answer's vector holds the server's counters for `clientVector`'s replicas and the
    /// requester, not every replica it knows.
    /// `requester`, the replica the request says it comes from, must not be another analyst's.
    /// `beforeCommit` runs inside the transaction after everything is written (tests pause there).
    public func exchange(
        analyst: String, requester: ReplicaID? = nil, clientVector: VersionVector, cursor: FeedCursor? = nil,
        versions: [Version], pageLimit: Int, at time: Int64,
        beforeCommit: @escaping @Sendable () -> Void = {}
    ) async throws -> Exchange {
        let store = self.store
        // Structure first (400), checked before taking the writer so that concurrent requests
        // check theirs in parallel, each field's versions folded there too (the writer adopts
        // the folded state of a field new to the store); then who may push what (403).
        let prepared = try store.prepareFoldingFields(versions)
        return try await store.transaction { db in
            var batch = try ApplyBatch.begin(store, db)
            let ownerOf = try db.cachedStatement(sql: "SELECT analyst FROM replica_owner WHERE replica = ?")
            if let requester, let bound = try String.fetchOne(ownerOf, arguments: [requester.rawValue]), bound != analyst {
                throw StoreError.replicaOwnedByOther(replica: requester, owner: bound)
            }
            var checked: Set<ReplicaID> = []
            for entry in prepared.entries {
                let version = entry.version
                if version.author != analyst {
                    throw StoreError.authorMismatch(dot: version.dot, author: version.author, analyst: analyst)
                }
                guard checked.insert(version.dot.replica).inserted else { continue }
                let replica = version.dot.replica.rawValue
                if let owner = try String.fetchOne(ownerOf, arguments: [replica]) {
                    if owner != analyst { throw StoreError.replicaOwnedByOther(replica: version.dot.replica, owner: owner) }
                } else {
                    try db.cachedStatement(sql: "INSERT INTO replica_owner (replica, analyst, bound) VALUES (?, ?, ?)")
                        .execute(arguments: [replica, analyst, time])
                }
            }
            try batch.preload(prepared.entries.lazy.map(\.version))
            try batch.integrate(prepared)
            let report = try batch.finish()
            var named = Set(clientVector.replicas)
            if let requester { named.insert(requester) }
            var exchange = Exchange(vector: try Store.versionVector(of: named, db), versions: [], more: true, cursor: nil, report: report)
            if let cursor {
                if try Store.feedHonours(cursor, db) {
                    let page = try Store.feedPage(db, after: cursor, skipping: named, limit: pageLimit, budget: .sync)
                    (exchange.versions, exchange.more, exchange.cursor) = (page.versions, page.more, page.cursor)
                }
            } else {
                let page = try Store.versions(db, notCoveredBy: clientVector, limit: pageLimit, budget: .sync)
                (exchange.versions, exchange.more) = (page.versions, page.more)
                if !page.more { exchange.cursor = try Store.feedHead(db) }
            }
            beforeCommit()
            return exchange
        }
    }

    /// ``Store/canonicalDump()`` plus analysts and replica ownership: everything the server keeps.
    public func canonicalDump() throws -> String {
        let versions = try store.canonicalDump()
        return try store.read { db in
            var lines = [versions]
            for row in try Row.fetchAll(db, sql: "SELECT name, token_hash, created, revoked FROM analyst ORDER BY name") {
                lines.append("analyst " + (0..<4).map { "\(row[$0] as DatabaseValue)" }.joined(separator: "|"))
            }
            for row in try Row.fetchAll(db, sql: "SELECT replica, analyst, bound FROM replica_owner ORDER BY replica") {
                lines.append("owner " + (0..<3).map { "\(row[$0] as DatabaseValue)" }.joined(separator: "|"))
            }
            return lines.joined(separator: "\n")
        }
    }
}
