public import Foundation
import GRDB
public import SyncModel
public import SyncProtocol

/// The replica's signing keys, one per replica id it has written under, and the signed ranges
/// of other replicas it carries for their authors (received by bundle).
extension Replica {
    static func keyName(_ id: ReplicaID) -> String { "signing_key." + id.rawValue }

    static func signingKey(for id: ReplicaID, _ db: Database) throws -> SigningKey? {
        guard let text = try Meta.get(keyName(id), db) else { return nil }
        return try decodeKey(text, of: id)
    }

    /// ``signingKey(for:_:)`` through the store's cache: what each sync's start reads.
    func cachedSigningKey(_ db: Database) throws -> SigningKey? {
        guard let text = try Meta.get(Self.keyName(id), db) else { return nil }
        return try store.signingKeys.key(for: text) { try Self.decodeKey($0, of: id) }
    }

    private static func decodeKey(_ text: String, of id: ReplicaID) throws -> SigningKey {
        guard let raw = Data(base64Encoded: text), let key = SigningKey(rawRepresentation: raw) else {
            throw StoreError.damaged("the signing key of replica \(id) in the file is malformed")
        }
        return key
    }

    /// The key signing under `id`, made now if the file has none (a file made before replicas
    /// had keys).
    static func ensureSigningKey(for id: ReplicaID, _ db: Database) throws -> SigningKey {
        if let key = try signingKey(for: id, db) { return key }
        let key = SigningKey.generate()
        try Meta.set(keyName(id), key.rawRepresentation.base64EncodedString(), db)
        return key
    }

    /// The key this replica signs its writes with, made now if it has none.
    @discardableResult
    public func signingKey() throws -> SigningKey {
        if let key = try store.read({ db in try cachedSigningKey(db) }) { return key }
        return try store.transaction { db in try Self.ensureSigningKey(for: id, db) }
    }

    /// The sync server's public key for sealed bundles, as last fetched; nil before.
    public func serverBundleKey() throws -> Data? {
        try store.read { db in try Meta.get("server_bundle_key", db).flatMap { Data(base64Encoded: $0) } }
    }

    public func saveServerBundleKey(_ key: Data) throws {
        try store.transaction { db in try Meta.set("server_bundle_key", key.base64EncodedString(), db) }
    }

    public func carried(limit: Int, budget: PageBudget, excluding: Set<SignedRange>) throws -> CarriedPage {
        try store.read { db in
            var page = CarriedPage()
            var budget = budget
            let rows = try Row.fetchCursor(db, sql: "SELECT replica, first, last, signature FROM signed_range WHERE pending = 1 ORDER BY replica, first, last")
            while let row = try rows.next() {
                guard let replica = ReplicaID(row[0] as String) else { continue }
                let range = SignedRange(replica: replica, first: UInt64(row[1] as Int64), last: UInt64(row[2] as Int64), signature: row[3])
                // A range overlapping one already in this page waits for the next request, so
                // that no version travels twice in one.
                guard !excluding.contains(range), !page.signatures.contains(where: {
                    $0.replica == range.replica && $0.first <= range.last && range.first <= $0.last
                }) else { continue }
                if !page.signatures.isEmpty, page.versions.count + range.count > limit { break }
                let versions = try Self.run(of: range, db)
                guard versions.count == range.count else { continue }
                let fits = versions.allSatisfy { budget.admits(PageBudget.size($0)) }
                if !fits, !page.signatures.isEmpty { break }
                page.versions += versions
                page.signatures.append(range)
            }
            return page
        }
    }

    public func noteDelivered(_ ranges: [SignedRange]) throws {
        try store.transaction { db in
            let update = try db.cachedStatement(sql: "UPDATE signed_range SET pending = 0 WHERE replica = ? AND first = ? AND last = ?")
            for range in ranges { try update.execute(arguments: [range.replica.rawValue, Int64(range.first), Int64(range.last)]) }
        }
    }

    public func noteRefused(_ range: SignedRange, permanently: Bool) throws {
        guard permanently else { return }
        // 2: refused by the server; kept (the versions stay in the file) but carried no more.
        try store.transaction { db in
            try db.execute(sql: "UPDATE signed_range SET pending = 2 WHERE replica = ? AND first = ? AND last = ?",
                           arguments: [range.replica.rawValue, Int64(range.first), Int64(range.last)])
        }
    }

    /// The versions of one replica's counters `range.first...range.last` held here, in order
    /// (fewer than the range's count when some are not held).
    static func run(of range: SignedRange, _ db: Database) throws -> [Version] {
        try run(range.replica, from: range.first, to: range.last, db)
    }

    static func run(_ replica: ReplicaID, from first: UInt64, to last: UInt64, _ db: Database) throws -> [Version] {
        guard last >= first else { return [] }
        // Counters past a gap (versions removed with a record, or left out by a filter) would
        // fill the limit: only those up to `last` belong to the run.
        return try VersionTable.versions(db, notCoveredBy: VersionVector([replica: first - 1]), limit: Int(last - first + 1), replicas: [replica])
            .versions.filter { $0.dot.counter <= last }
    }

    /// The analyst a bundle named as the author of `dot`, if `dot` (of another replica) came
    /// here in a bundle; nil otherwise.
    public func bundleThatBrought(_ dot: Dot) throws -> String? {
        try store.read { db in
            guard try !ownReplicas(db).contains(dot.replica),
                  try Int.fetchOne(db, sql: "SELECT 1 FROM signed_range WHERE replica = ? AND first <= ? AND last >= ?",
                                   arguments: [dot.replica.rawValue, Int64(dot.counter), Int64(dot.counter)]) != nil else { return nil }
            return try Self.knownKey(dot.replica, db)?.analyst ?? "another analyst"
        }
    }

    /// How many carried versions the server has not taken yet.
    public func carriedPendingCount() throws -> Int {
        try store.read { db in
            try Int.fetchOne(db, sql: "SELECT coalesce(sum(last - first + 1), 0) FROM signed_range WHERE pending = 1") ?? 0
        }
    }
}
