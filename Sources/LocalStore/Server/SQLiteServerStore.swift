public import Foundation
import GRDB
public import SyncModel
public import SyncProtocol

/// The server's storage in one SQLite file: the same version engine as a replica, plus
/// analysts, replica ownership and the feed. The embedded default.
public struct SQLiteServerStore: ServerStorage {
    public let store: Store

    /// Opens the server database at `path`; makes a new one there only when `create` is true
    /// (otherwise a missing file is refused, so a mistyped path never serves an empty store).
    public static func open(path: String, create: Bool = true) throws -> SQLiteServerStore {
        SQLiteServerStore(store: try Store.open(path: path, role: .server, create: create))
    }

    /// A server store in memory, for tests and benchmarks.
    public static func inMemory() throws -> SQLiteServerStore {
        SQLiteServerStore(store: try Store.inMemory(role: .server))
    }

    /// Registers an analyst by the SHA-256 hex of their token (the token itself is never stored).
    public func addAnalyst(name: String, tokenHash: String, at time: Int64) throws {
        try store.transaction { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM analyst WHERE name = ?", arguments: [name]) != nil {
                throw AnalystError.exists(name)
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
                throw AnalystError.notFound(name)
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
                    throw AnalystError.notFound(name)
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
                    throw AnalystError.notFound(name)
                }
            }
        }
    }

    /// The analyst and signing key of every bound replica.
    public func replicaBindings() throws -> [ReplicaID: ReplicaBinding] {
        try store.read { db in
            var result: [ReplicaID: ReplicaBinding] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT replica, analyst, public_key FROM replica_owner") {
                if let replica = ReplicaID(row[0] as String) { result[replica] = ReplicaBinding(analyst: row[1], publicKey: row[2]) }
            }
            return result
        }
    }

    public func bundleKey() throws -> BundleKey {
        if let key = try existingBundleKey() { return key }
        return try store.transaction { db in
            if let key = try Self.storedBundleKey(db) { return key }
            let key = BundleKey.generate()
            try Meta.set("bundle_key", key.privateKey.base64EncodedString(), db)
            return key
        }
    }

    /// The key for sealed bundles if one was made (see ``bundleKey()``).
    public func existingBundleKey() throws -> BundleKey? {
        try store.read { db in try Self.storedBundleKey(db) }
    }

    private static func storedBundleKey(_ db: Database) throws -> BundleKey? {
        guard let text = try Meta.get("bundle_key", db) else { return nil }
        guard let raw = Data(base64Encoded: text) else { throw StoreError.damaged("the server's bundle key is malformed") }
        return BundleKey(privateKey: raw)
    }

    public func check(_ versions: [Version]) throws -> PreparedVersions {
        // Each field's versions are folded here too, on the request's thread, so that the writer
        // adopts the folded state of a field new to the store whole.
        try store.prepareFoldingFields(versions)
    }

    public func perform(
        _ work: ExchangeWork<PreparedVersions>, ownership: @escaping @Sendable ([ReplicaID: ReplicaBinding]) throws -> Void,
        beforeCommit: @escaping @Sendable () -> Void
    ) async throws -> StoredExchange {
        let store = self.store
        return try await store.transaction { db in
            var owners: [ReplicaID: ReplicaBinding] = [:]
            let ownerOf = try db.cachedStatement(sql: "SELECT analyst, public_key FROM replica_owner WHERE replica = ?")
            for replica in work.claimed {
                if let row = try Row.fetchOne(ownerOf, arguments: [replica.rawValue]) {
                    owners[replica] = ReplicaBinding(analyst: row[0], publicKey: row[1])
                }
            }
            try ownership(owners)
            for replica in work.claimed where owners[replica] == nil {
                try db.cachedStatement(sql: "INSERT INTO replica_owner (replica, analyst, bound) VALUES (?, ?, ?)")
                    .execute(arguments: [replica.rawValue, work.analyst, work.time])
            }
            if let (replica, key) = work.requesterKey, owners[replica]?.publicKey == nil {
                try db.cachedStatement(sql: "UPDATE replica_owner SET public_key = ? WHERE replica = ? AND public_key IS NULL")
                    .execute(arguments: [key, replica.rawValue])
            }
            let report = try store.integrate(work.versions, db)
            let vector = try Store.versionVector(of: work.counted, db)
            let page: StoredPage?
            switch work.page.start {
            case .feed(let cursor, let skipping):
                page = try Store.feedHonours(cursor, db)
                    ? try Store.feedPage(db, after: cursor, skipping: skipping, limit: work.page.limit, budget: work.page.budget)
                    : nil
            case .notCoveredBy(let vector):
                let found = try Store.versions(db, notCoveredBy: vector, limit: work.page.limit, budget: work.page.budget)
                page = StoredPage(versions: found.versions, more: found.more, cursor: found.more ? nil : try Store.feedHead(db))
            }
            let stored = StoredExchange(report: report, vector: vector, page: page)
            beforeCommit()
            return stored
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
            for row in try Row.fetchAll(db, sql: "SELECT replica, analyst, bound, hex(public_key) FROM replica_owner ORDER BY replica") {
                lines.append("owner " + (0..<4).map { "\(row[$0] as DatabaseValue)" }.joined(separator: "|"))
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// Reading the whole store out, for `sync-server migrate`.
extension SQLiteServerStore {
    /// Up to `limit` versions of the feed after `cursor`, in arrival order.
    public func feedPage(after cursor: FeedCursor, limit: Int) throws -> StoredPage {
        try store.read { db in try Store.feedPage(db, after: cursor, skipping: [], limit: limit) }
    }

    /// The position after the last version stored.
    public func feedHead() throws -> FeedCursor {
        try store.read { db in try Store.feedHead(db) }
    }

    /// Every analyst with the stored hash of their token.
    public func analystsWithTokenHashes() throws -> [(analyst: Analyst, tokenHash: String)] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT name, created, revoked, token_hash FROM analyst ORDER BY name")
                .map { (Analyst(name: $0[0], created: $0[1], revoked: $0[2]), $0[3]) }
        }
    }

    /// Every replica binding, with when it was made and its public key.
    public func bindings() throws -> [(replica: ReplicaID, analyst: String, bound: Int64, publicKey: Data?)] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT replica, analyst, bound, public_key FROM replica_owner ORDER BY replica").compactMap { row in
                ReplicaID(row[0] as String).map { ($0, row[1], row[2], row[3]) }
            }
        }
    }
}
