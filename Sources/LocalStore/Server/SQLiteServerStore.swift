public import Foundation
package import GRDB
public import SyncModel
public import SyncProtocol

/// The server's storage in one SQLite file, the embedded default: versions (with their
/// records' kinds), the feed, analysts, replica bindings and keys, and operators' counts
/// (conflicts as replicas report them, bundle applies) — the same shape as
/// `PostgresServerStore`, and no field state (the server stores and serves; replicas merge).
/// Every public method that writes is one transaction: it happens whole or not at all.
public struct SQLiteServerStore: ServerStorage {
    /// The GRDB writer (a pool in WAL mode on a file, a queue in memory).
    package let writer: any DatabaseWriter
    public let path: String
    /// The largest value accepted, in bytes.
    public var maxValueBytes: Int = ValueRules.defaultMaxValueBytes
    /// Pauses a test places in each exchange (see ``CommitPauses``).
    private var pauses = CommitPauses()

    /// Opens the server database at `path`; makes a new one there only when `create` is true
    /// (otherwise a missing file is refused, so a mistyped path never serves an empty store).
    /// A file of an earlier release is upgraded in place, keeping every version and cursor.
    public static func open(path: String, create: Bool = true) throws -> SQLiteServerStore {
        SQLiteServerStore(writer: try DatabaseFile.open(path: path, kind: ServerSchema.kind, create: create), path: path)
    }

    /// A server store in memory, for tests and benchmarks.
    public static func inMemory() throws -> SQLiteServerStore {
        SQLiteServerStore(writer: try DatabaseFile.inMemory(kind: ServerSchema.kind), path: ":memory:")
    }

    /// This store, pausing each exchange as `pauses` says (end-to-end tests kill a server there).
    package func pausing(_ pauses: CommitPauses) -> SQLiteServerStore {
        var paused = self
        paused.pauses = pauses
        return paused
    }

    /// Closes the file, leaving it whole in the main file (no write-ahead log beside it), and
    /// fails if another connection still has it open. The store is unusable afterwards.
    public func close() throws {
        try DatabaseFile.close(writer, path: path)
    }

    /// Registers an analyst by the SHA-256 hex of their token (the token itself is never stored).
    public func addAnalyst(name: String, tokenHash: String, at time: Int64) throws {
        try write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM analyst WHERE name = ?", arguments: [name]) != nil {
                throw AnalystError.exists(name)
            }
            try db.execute(sql: "INSERT INTO analyst (name, token_hash, created) VALUES (?, ?, ?)",
                           arguments: [name, tokenHash, time])
            // Every analyst may write the default compartment until the admin says otherwise.
            try db.execute(sql: "INSERT INTO clearance (analyst, compartment, write) VALUES (?, 1, 1)", arguments: [name])
            if try Self.compartmented(db) { try Self.bumpTeamAccess(db) }
        }
    }

    /// The active (not revoked) analyst named `name`, with the stored hash of their token.
    public func activeAnalyst(named name: String) async throws -> (analyst: Analyst, tokenHash: String)? {
        try await readWithoutBlocking { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT name, created, revoked, token_hash FROM analyst WHERE name = ? AND revoked IS NULL"),
                             arguments: [name])
                .map { (Analyst(name: $0[0], created: $0[1], revoked: $0[2]), $0[3]) }
        }
    }

    public func analysts() throws -> [Analyst] {
        try analystsWithTokenHashes().map(\.analyst)
    }

    /// Gives an analyst, active or revoked, a new token by the SHA-256 hex of it: the old one
    /// stops syncing at once; a revoked analyst stays revoked until reinstated.
    /// - Returns: whether the analyst is revoked.
    public func replaceToken(name: String, tokenHash: String) throws -> Bool {
        try write { db in
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
        try write { db in
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
        try write { db in
            try db.execute(sql: "UPDATE analyst SET revoked = ? WHERE name = ? AND revoked IS NULL", arguments: [time, name])
            if db.changesCount == 0 {
                guard try Int.fetchOne(db, sql: "SELECT 1 FROM analyst WHERE name = ?", arguments: [name]) != nil else {
                    throw AnalystError.notFound(name)
                }
            } else if try Self.compartmented(db) {
                try Self.bumpTeamAccess(db)
            }
        }
    }

    /// The analyst and signing key of every bound replica.
    public func replicaBindings() throws -> [ReplicaID: ReplicaBinding] {
        Dictionary(uniqueKeysWithValues: try bindings().map { ($0.replica, ReplicaBinding(analyst: $0.analyst, publicKey: $0.publicKey)) })
    }

    public func bundleKey() throws -> BundleKey {
        if let key = try existingBundleKey() { return key }
        return try write { db in
            if let key = try Self.storedBundleKey(db) { return key }
            let key = BundleKey.generate()
            try Meta.set("bundle_key", key.privateKey.base64EncodedString(), db)
            return key
        }
    }

    /// The key for sealed bundles if one was made (see ``bundleKey()``).
    public func existingBundleKey() throws -> BundleKey? {
        try read { db in try Self.storedBundleKey(db) }
    }

    private static func storedBundleKey(_ db: Database) throws -> BundleKey? {
        guard let text = try Meta.get("bundle_key", db) else { return nil }
        guard let raw = Data(base64Encoded: text) else { throw StoreError.damaged("the server's bundle key is malformed") }
        return BundleKey(privateKey: raw)
    }

    /// Checks every version against the model's rules and encodes its value, on the request's
    /// thread, so that concurrent requests check theirs in parallel.
    public func check(_ versions: [Version]) throws -> PreparedVersions {
        try PreparedVersions(versions, schemas: .standard, maxValueBytes: maxValueBytes)
    }

    public func perform(
        _ work: ExchangeWork<PreparedVersions>, ownership: @escaping @Sendable ([ReplicaID: ReplicaBinding]) throws -> Void
    ) async throws -> StoredExchange {
        let pauses = self.pauses
        let stored = try await write { db in
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
            var access = try ServerAccess(db, time: work.time)
            let report = try ServerPush.store(work.versions, db, access: &access, homes: work.homes, withdrawn: work.withdrawn)
            try ServerConflicts.record(work.conflicts, at: work.time, db)
            if work.countsBundleApply { try BundleApplyTally.count(.applied, db) }
            let vector = try VersionTable.versionVector(of: work.counted, db)
            // A courier's bundle (no analyst) reads nothing back.
            let rules = work.analyst.isEmpty ? AccessRules.unrestricted : try access.rules(for: work.analyst)
            let pageAccess = PageAccess(readable: rules.readable(of: access.classes),
                                        names: access.classes.keys.reduce(into: [:]) { $0[$1] = access.names(ofClass: $1) })
            let page: StoredPage?
            switch work.page.start {
            case .feed(let cursor, let skipping):
                page = try ServerFeed.honours(cursor, db)
                    ? try ServerFeed.page(db, after: cursor, skipping: skipping, limit: work.page.limit, budget: work.page.budget, access: pageAccess)
                    : nil
            case .notCoveredBy(let vector):
                page = try ServerFeed.page(db, notCoveredBy: vector, limit: work.page.limit, budget: work.page.budget, access: pageAccess)
            case .backfill(let backfill):
                page = try ServerFeed.backfill(db, backfill, access: access, pageAccess: pageAccess, limit: work.page.limit, budget: work.page.budget)
            case .shallow(let request):
                page = try ServerShallow.page(db, request, access: pageAccess, limit: work.page.limit, budget: work.page.budget)
            }
            let update = try work.access.flatMap { try Self.accessUpdate(analyst: work.analyst, after: $0, rules: rules, &access, db) }
            if let requester = work.requester {
                try db.cachedStatement(sql: "UPDATE replica_owner SET last_sync = ?, reached = coalesce(?, reached) WHERE replica = ?")
                    .execute(arguments: [work.time, page?.cursor.map { Int64(clamping: $0.seq) }, requester.rawValue])
            }
            pauses.beforeCommit?()
            var stored = StoredExchange(report: report, vector: vector, page: page, access: update)
            stored.pushed = access.compartmented ? try Self.placements(of: work.versions.entries.map(\.version.record), readableBy: rules, access, db) : []
            return stored
        }
        await pauses.afterCommit?()
        return stored
    }

    /// Runs `body` in one write transaction; SQLite's failures become ``StoreError``s saying
    /// nothing was written.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try DatabaseFile.write(writer, path: path, body)
    }

    /// ``write(_:)``, suspending instead of blocking the caller's thread.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await DatabaseFile.write(writer, path: path, body)
    }

    /// Runs `body` on a consistent view of the file.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try DatabaseFile.read(writer, path: path, body)
    }

    /// ``read(_:)`` without blocking the caller's thread. GRDB's own async read keeps its reader
    /// connection until its task comes back to the cooperative pool: with the pool's threads all
    /// in plain reads waiting for a connection (a hundred clients at once), neither went on and
    /// the server stopped answering. Here the connection is given back on its own queue, before
    /// the caller's task is resumed.
    func readWithoutBlocking<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let path = self.path
        return try await withCheckedThrowingContinuation { continuation in
            writer.asyncRead { result in
                continuation.resume(with: Result {
                    do {
                        return try body(try result.get())
                    } catch let error as DatabaseError {
                        throw StoreError.cannotOpen(path: path, reason: DatabaseFile.reason(error))
                    }
                })
            }
        }
    }
}

/// Reading the whole store out, for `sync-server migrate`, operators and tests.
extension SQLiteServerStore {
    /// Up to `limit` versions of the feed after `cursor`, in arrival order.
    public func feedPage(after cursor: FeedCursor, limit: Int) throws -> StoredPage {
        try read { db in try ServerFeed.page(db, after: cursor, skipping: [], limit: limit) }
    }

    /// The position after the last version stored.
    public func feedHead() throws -> FeedCursor {
        try read { db in try ServerFeed.head(db) }
    }

    /// Every counter held: each version held is `(r, 1...vector[r])`.
    public func versionVector() throws -> VersionVector {
        try read { db in try VersionTable.versionVector(db) }
    }

    /// Every analyst with the stored hash of their token.
    public func analystsWithTokenHashes() throws -> [(analyst: Analyst, tokenHash: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, created, revoked, token_hash FROM analyst ORDER BY name")
                .map { (Analyst(name: $0[0], created: $0[1], revoked: $0[2]), $0[3]) }
        }
    }

    /// Every replica binding, with when it was made and its public key.
    public func bindings() throws -> [(replica: ReplicaID, analyst: String, bound: Int64, publicKey: Data?)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT replica, analyst, bound, public_key FROM replica_owner ORDER BY replica").compactMap { row in
                ReplicaID(row[0] as String).map { ($0, row[1], row[2], row[3]) }
            }
        }
    }

    /// Everything the server keeps, as text in a canonical order: versions (clocks as
    /// `uuid:counter` text, whatever row ids the file gave), records, the feed, analysts and
    /// bindings. Equal exactly when two states are equal (tests check that a refused request
    /// changed nothing).
    public func canonicalDump() throws -> String {
        try read { db in try Self.canonicalLines(db).joined(separator: "\n") }
    }

    /// The lines of ``canonicalDump()``, read from any server file's tables.
    static func canonicalLines(_ db: Database) throws -> [String] {
        var lines = try VersionTable.canonicalLines(db)
        for row in try Row.fetchAll(db, sql: "SELECT f.seq, f.chain, r.uuid, f.counter FROM feed f JOIN replica r ON r.id = f.replica ORDER BY f.seq") {
            lines.append("feed " + (0..<4).map { "\(row[$0] as DatabaseValue)" }.joined(separator: "|"))
        }
        for row in try Row.fetchAll(db, sql: "SELECT name, token_hash, created, revoked FROM analyst ORDER BY name") {
            lines.append("analyst " + (0..<4).map { "\(row[$0] as DatabaseValue)" }.joined(separator: "|"))
        }
        for row in try Row.fetchAll(db, sql: "SELECT replica, analyst, bound, hex(public_key) FROM replica_owner ORDER BY replica") {
            lines.append("owner " + (0..<4).map { "\(row[$0] as DatabaseValue)" }.joined(separator: "|"))
        }
        return lines
    }
}
