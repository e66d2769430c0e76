import Foundation
import Logging
import PostgresNIO
package import SyncModel
package import SyncProtocol

/// One exchange on PostgreSQL, safe with several server instances on one database.
///
/// The push is one transaction at READ COMMITTED that takes its locks in one global order, so
/// concurrent pushes never deadlock: the rows of the pushed versions' replicas (sorted), which
/// keeps each replica's counters contiguous and lets a retried request on another instance wait
/// for the original instead of racing it; then the records' rows (sorted); and last the one-row
/// feed head, held only while the feed rows are appended and the transaction commits. Feed
/// positions are therefore handed out in commit order: a reader, which takes no lock, only ever
/// sees a prefix of the feed without gaps, so a cursor can never pass a version committed later.
/// An exchange carrying a conflict report, or a bundle apply, then takes the tallies' rows
/// (``recordTallies(_:_:_:)``), after everything else.
///
/// Need-to-know adds one lock, between the records and the feed head: the one-row placement
/// head (``PostgresAccess/lockPlacements(_:_:)``), taken only by a push that notes cell numbers,
/// tags signals or makes cells once a second compartment exists, and by a move (which takes
/// nothing before it); every change of an existing record's compartments is made under it, so
/// the rows of existing records are locked only after it. The whole order is thus: replicas'
/// rows (sorted), new records' rows (sorted), the placement head, existing records' rows (whose
/// compartments change), the feed head, the tallies. Adding the second compartment takes the
/// feed head alone, and a push that found
/// one compartment checks again under the feed head (and is answered
/// ``PostgresStoreError/concurrentChange(_:)`` if one was made meanwhile), so no push stores
/// cell numbers in the window where they start being kept without noting them. Clearances are
/// read without a lock: a push ordered before a concurrent grant or revoke is judged by the
/// clearances before it.
///
/// The answer is read afterwards from one snapshot (one statement for a pull by cursor, a
/// read-only REPEATABLE READ transaction for one by vector), so the page, the counters and the
/// feed's head agree with each other. Reading it outside the push's transaction is safe because
/// a request is idempotent: if the read fails, the client sends the request again and its push
/// is taken as duplicates. A pull from replicas already bound writes nothing and skips the push's
/// transaction.
extension PostgresServerStore {
    package func perform(
        _ work: ExchangeWork<[Version]>, ownership: @escaping @Sendable ([ReplicaID: ReplicaBinding]) throws -> Void
    ) async throws -> StoredExchange {
        try await mapErrors { [self] in
            let logger = self.logger, pauses = self.pauses
            let stored: StoredExchange
            // A shallow page at a position of another feed is refused before anything is bound or stored.
            if case .shallow(let request) = work.page.start, let at = request.at { try await checkShallowPosition(at) }
            // A pull from replicas already bound writes no version: it skips the push's transaction.
            if work.versions.isEmpty, work.withdrawn.isEmpty, work.conflicts.isEmpty, !work.countsBundleApply,
               let owners = try await boundOwners(of: work.claimed), work.requesterKey.map({ owners[$0.replica]?.publicKey != nil }) ?? true {
                try ownership(owners)
                stored = try await answer(work, report: ApplyReport())
            } else {
                let report = try await client.withTransaction(logger: logger) { connection in
                    let report = try await Self.push(work, ownership: ownership, connection, logger)
                    try await Self.recordTallies(work, connection, logger)
                    pauses.beforeCommit?()
                    return report
                }
                await pauses.afterCommit?()
                stored = try await answer(work, report: report)
            }
            try await recordActivity(work, stored)
            return stored
        }
    }

    /// Records the requester's last exchange and the position its answer reached: one row
    /// written on its own after the answer was read (a lost write only makes `status` older).
    private func recordActivity(_ work: ExchangeWork<[Version]>, _ stored: StoredExchange) async throws {
        guard let requester = work.requester else { return }
        let reached = stored.page?.cursor.map { Int64(clamping: $0.seq) }
        try await client.query("""
            UPDATE replica_owner SET last_sync = \(work.time), reached = coalesce(\(reached), reached) WHERE replica = \(requester.rawValue)
            """, logger: logger)
    }

    /// Stores `work`'s push in the open transaction. With `authorizing` (every exchange), new
    /// records are placed and every author's write clearances checked (``PushAuthorization``);
    /// a migration copies records' compartments itself and passes false.
    static func push(
        _ work: ExchangeWork<[Version]>, ownership: @Sendable ([ReplicaID: ReplicaBinding]) throws -> Void, authorizing: Bool = true,
        _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> ApplyReport {
        // The authors' clearances are read with the owners, in the same round trip.
        let authors = authorizing && !work.versions.isEmpty ? Set(work.versions.map(\.author)).sorted() : nil
        let access = try await bind(work, ownership: ownership, readingAccessOf: authors, connection, logger)
        guard !work.versions.isEmpty || !work.withdrawn.isEmpty else { return ApplyReport() }
        let replicas = Set(work.versions.map(\.dot.replica)).union(work.withdrawn.map(\.replica)).sorted().map(\.rawValue)
        try await connection.query("""
            INSERT INTO replica (uuid) SELECT u FROM unnest(\(replicas)::text[]) AS u ORDER BY u COLLATE "C" ON CONFLICT (uuid) DO NOTHING
            """, logger: logger)
        var rows: [ReplicaID: (id: Int64, counter: UInt64)] = [:]
        let locked = try await connection.query("""
            SELECT id, uuid, counter FROM replica WHERE uuid = ANY(\(replicas)::text[]) ORDER BY uuid COLLATE "C" FOR UPDATE
            """, logger: logger)
        for try await (id, uuid, counter) in locked.decode((Int64, String, Int64).self) {
            guard let replica = ReplicaID(uuid) else { throw PostgresStoreError.damaged("a replica row named '\(uuid)'") }
            rows[replica] = (id, UInt64(counter))
        }
        // Held versions (to compare with what is stored) and new ones (contiguous, passing over
        // the dots their owner set aside), as every store sorts them.
        let sort = try PushSort(work.versions, withdrawn: work.withdrawn) { rows[$0]!.counter }
        if !sort.held.isEmpty {
            try sort.checkHeld(against: try await versions(at: sort.held.map { (rows[$0.dot.replica]!.id, $0.dot.counter) }, connection, logger))
        }
        var report = ApplyReport()
        report.duplicates = sort.duplicates
        let added = sort.new
        let raised = sort.raised
        if !raised.isEmpty {
            try await connection.query("""
                UPDATE replica SET counter = u.counter
                FROM unnest(\(raised.map { rows[$0.key]!.id })::bigint[], \(raised.map { Int64($0.value) })::bigint[]) AS u (id, counter)
                WHERE replica.id = u.id
                """, logger: logger)
        }
        guard !added.isEmpty else { return report }
        var authorization = access.map { PushAuthorization(added, authors: authors ?? [], access: $0, homes: work.homes) }
        let records = try await checkKinds(added, homes: authorization?.homes() ?? [:], connection, logger)
        try await authorization?.authorize(records, time: work.time, connection, logger)
        let ids = added.map { rows[$0.dot.replica]!.id }
        // The feed head last: held from here to the commit, which is all the serialised part.
        var position = FeedCursor.start
        for try await (seq, chain) in try await connection.query("SELECT seq, chain FROM feed_head FOR UPDATE", logger: logger).decode((Int64, Int64).self) {
            position = FeedCursor(seq: UInt64(seq), chain: UInt64(bitPattern: chain))
        }
        var seqs: [Int64] = [], chains: [Int64] = []
        for version in added {
            position = position.advanced(by: version.dot)
            seqs.append(Int64(position.seq))
            chains.append(Int64(bitPattern: position.chain))
        }
        try await connection.query("""
            INSERT INTO version (replica, counter, record, field, context, value, author, time, seq, chain)
            SELECT * FROM unnest(\(ids)::bigint[], \(added.map { Int64($0.dot.counter) })::bigint[], \(added.map(\.record.rawValue))::text[],
                                 \(added.map(\.field))::text[], \(added.map(\.context.text))::text[],
                                 \(try added.map { try ValueJSON.encode($0.value) })::text[], \(added.map(\.author))::text[],
                                 \(added.map(\.time))::bigint[], \(seqs)::bigint[], \(chains)::bigint[])
            """, logger: logger)
        // Read in the statement that follows the feed head's lock, so after any second
        // compartment made before this push took it: a push judged with one compartment must
        // not store cell numbers that the second one's `addCompartment` did not note.
        let compartments = try await connection.query("""
            UPDATE feed_head SET seq = \(Int64(position.seq)), chain = \(Int64(bitPattern: position.chain)) RETURNING (SELECT count(*) FROM compartment)
            """, logger: logger)
        for try await count in compartments.decode(Int64.self) where authorization?.access.compartmented == false && count > 1 {
            throw PostgresStoreError.concurrentChange("a compartment was added while the push was stored")
        }
        report.new = added.count
        return report
    }

    /// Judges the claimed replicas' owners, binds the unbound ones to the analyst and gives the
    /// requester its key if it has none. A replica bound by a concurrent exchange meanwhile is
    /// judged again by its new owner. With `authors`, returns their access, read by the
    /// statement that reads the owners first (see ``PostgresAccess/read(analysts:claimed:_:_:)``).
    private static func bind(
        _ work: ExchangeWork<[Version]>, ownership: @Sendable ([ReplicaID: ReplicaBinding]) throws -> Void,
        readingAccessOf authors: [String]?, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> PostgresAccess? {
        let claimed = work.claimed.map(\.rawValue)
        guard !claimed.isEmpty || authors != nil else {
            try ownership([:])
            return nil
        }
        var access: PostgresAccess?
        func owners() async throws -> [ReplicaID: ReplicaBinding] {
            if access == nil, let authors {
                let read = try await PostgresAccess.read(analysts: authors, claimed: claimed, connection, logger)
                access = read.access
                return read.owners
            }
            var owners: [ReplicaID: ReplicaBinding] = [:]
            let rows = try await connection.query("SELECT replica, analyst, public_key FROM replica_owner WHERE replica = ANY(\(claimed)::text[])", logger: logger)
            for try await (replica, analyst, key) in rows.decode((String, String, Data?).self) {
                if let id = ReplicaID(replica) { owners[id] = ReplicaBinding(analyst: analyst, publicKey: key) }
            }
            return owners
        }
        let before = try await owners()
        try ownership(before)
        let unbound = work.claimed.filter { before[$0] == nil }.map(\.rawValue)
        if !unbound.isEmpty {
            try await connection.query("""
                INSERT INTO replica_owner (replica, analyst, bound)
                SELECT u, \(work.analyst), \(work.time) FROM unnest(\(unbound)::text[]) AS u ORDER BY u COLLATE "C"
                ON CONFLICT (replica) DO NOTHING
                """, logger: logger)
        }
        let keyToBind = work.requesterKey.flatMap { before[$0.replica]?.publicKey == nil ? $0 : nil }
        if let (replica, key) = keyToBind {
            try await connection.query("""
                UPDATE replica_owner SET public_key = \(key) WHERE replica = \(replica.rawValue) AND public_key IS NULL
                """, logger: logger)
        }
        guard !unbound.isEmpty || keyToBind != nil else { return access }
        try ownership(try await owners())
        return access
    }

    /// Refuses a version whose record is stored as another kind; makes the records new to the
    /// store, each in the compartments `homes` gives it (else the default one). Returns every
    /// record of `versions` as stored, saying which this push made.
    private static func checkKinds(
        _ versions: [Version], homes: [RecordID: [Int64]], _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> [RecordID: PushAuthorization.Stored] {
        var kinds: [String: String] = [:]
        for version in versions where kinds[version.record.rawValue] == nil { kinds[version.record.rawValue] = version.kind }
        let records = kinds.keys.sorted()
        let placed = records.map { id in PlacementChanges.text(RecordID(id).flatMap { homes[$0] } ?? [Compartment.defaultID]) }
        var made: Set<String> = []
        let inserted = try await connection.query("""
            INSERT INTO record (id, kind, compartments)
            SELECT u.id, u.kind, u.compartments::bigint[] FROM unnest(\(records)::text[], \(records.map { kinds[$0]! })::text[], \(placed)::text[]) AS u (id, kind, compartments)
            ORDER BY u.id COLLATE "C" ON CONFLICT (id) DO NOTHING RETURNING id
            """, logger: logger)
        for try await id in inserted.decode(String.self) { made.insert(id) }
        var known: [RecordID: PushAuthorization.Stored] = [:]
        let rows = try await connection.query("SELECT id, kind, compartments FROM record WHERE id = ANY(\(records)::text[])", logger: logger)
        for try await (id, kind, compartments) in rows.decode((String, String, [Int64]).self) {
            guard let record = RecordID(id) else { throw PostgresStoreError.damaged("a record row named '\(id)'") }
            known[record] = PushAuthorization.Stored(kind: kind, compartments: compartments, isNew: made.contains(id))
        }
        for version in versions where known[version.record]?.kind != version.kind {
            throw VersionRefusal.kindMismatch(record: version.record, known: known[version.record]?.kind ?? "?", got: version.kind)
        }
        return known
    }

    /// The stored versions at `dots` (replica row ids and counters).
    private static func versions(at dots: [(Int64, UInt64)], _ connection: PostgresConnection, _ logger: Logger) async throws -> [Dot: Version] {
        let rows = try await connection.query("""
            SELECT \(unescaped: VersionColumns.select) FROM unnest(\(dots.map(\.0))::bigint[], \(dots.map { Int64($0.1) })::bigint[]) AS d (replica, counter)
            JOIN version v ON v.replica = d.replica AND v.counter = d.counter \(unescaped: VersionColumns.joins)
            """, logger: logger)
        var result: [Dot: Version] = [:]
        for try await row in rows.decode(VersionColumns.Row.self) {
            let version = try VersionColumns.version(row)
            result[version.dot] = version
        }
        return result
    }

    /// The owners of `replicas` if every one is bound, else nil (binding needs a transaction).
    private func boundOwners(of replicas: [ReplicaID]) async throws -> [ReplicaID: ReplicaBinding]? {
        var owners: [ReplicaID: ReplicaBinding] = [:]
        let rows = try await client.query("SELECT replica, analyst, public_key FROM replica_owner WHERE replica = ANY(\(replicas.map(\.rawValue))::text[])", logger: logger)
        for try await (replica, analyst, key) in rows.decode((String, String, Data?).self) {
            if let id = ReplicaID(replica) { owners[id] = ReplicaBinding(analyst: analyst, publicKey: key) }
        }
        return owners.count == Set(replicas).count ? owners : nil
    }
}
