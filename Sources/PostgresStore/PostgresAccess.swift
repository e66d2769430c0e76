import Foundation
import Logging
import PostgresNIO
import SyncModel
import SyncProtocol

/// Need-to-know as one PostgreSQL transaction or snapshot reads it: the compartments by id, and
/// the ``AccessRules`` of the analysts it asked for (see ``AccessRules`` for the rules).
///
/// A record's compartments are stored as their sorted ids (`record.compartments`), so a reader
/// checks a record with ``AccessRules/mayRead(_:)`` on them, and a query filters with `<@`.
struct PostgresAccess: Sendable {
    /// Compartment names by id.
    var names: [Int64: String]
    /// The rules of the analysts read, by name.
    var rules: [String: AccessRules]

    /// Builds the access from the arrays ``read(analysts:claimed:_:_:)`` selects (and an answer's
    /// snapshot selects beside its head): compartments' ids and names, clearances as parallel
    /// arrays, and analysts' homes.
    init(ids: [Int64], names: [String], cleared: (analysts: [String], compartments: [Int64], write: [Bool]), homes: (analysts: [String], homes: [Int64])) {
        self.names = Dictionary(zip(ids, names), uniquingKeysWith: { first, _ in first })
        var read: [String: Set<Int64>] = [:], write: [String: Set<Int64>] = [:]
        for (analyst, (compartment, canWrite)) in zip(cleared.analysts, zip(cleared.compartments, cleared.write)) {
            read[analyst, default: []].insert(compartment)
            if canWrite { write[analyst, default: []].insert(compartment) }
        }
        rules = [:]
        for (analyst, home) in zip(homes.analysts, homes.homes) {
            rules[analyst] = AccessRules(read: read[analyst] ?? [], write: write[analyst] ?? [], home: home)
        }
    }

    /// Whether a compartment besides the default exists. Until one does, every record is in the
    /// default compartment alone, and cell numbers and signal tags are not kept.
    var compartmented: Bool { names.count > 1 }

    /// The id of the compartment named `name`; throws ``CompartmentError/notFound(_:)``.
    func compartmentID(_ name: String) throws -> Int64 {
        guard let id = names.first(where: { $0.value == name })?.key else { throw CompartmentError.notFound(name) }
        return id
    }

    /// The names of `compartments`, sorted.
    func names(of compartments: some Sequence<Int64>) -> [String] {
        compartments.compactMap { names[$0] }.sorted()
    }

    /// `analyst`'s rules; an analyst that was not read, or is unknown, is cleared for nothing.
    func rules(for analyst: String) -> AccessRules {
        rules[analyst] ?? AccessRules(read: [], write: [], home: Compartment.defaultID)
    }

    /// The compartments `analyst` reads, for a query's `compartments <@ $1` filter; nil when they
    /// read every compartment there is, so that an unrestricted team's pages are read unfiltered.
    func readFilter(for analyst: String) -> [Int64]? {
        let read = rules(for: analyst).read
        return names.keys.allSatisfy(read.contains) ? nil : read.sorted()
    }

    /// The compartments and the rules of `analysts`, and the bindings of the replicas `claimed`,
    /// in one statement: a push reads them with its owners, in its first round trip.
    static func read(
        analysts: [String], claimed: [String] = [], _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> (access: PostgresAccess, owners: [ReplicaID: ReplicaBinding]) {
        // Parallel arrays, computed once (uncorrelated), beside each owner row; the outer join
        // gives one row when no claimed replica is bound. Each pair of arrays is ordered alike,
        // by primary key.
        let rows = try await connection.query("""
            SELECT o.replica, o.analyst, o.public_key,
                   ARRAY(SELECT id FROM compartment ORDER BY id), ARRAY(SELECT name FROM compartment ORDER BY id),
                   ARRAY(SELECT analyst FROM clearance WHERE analyst = ANY(\(analysts)::text[]) ORDER BY analyst, compartment),
                   ARRAY(SELECT compartment FROM clearance WHERE analyst = ANY(\(analysts)::text[]) ORDER BY analyst, compartment),
                   ARRAY(SELECT write FROM clearance WHERE analyst = ANY(\(analysts)::text[]) ORDER BY analyst, compartment),
                   ARRAY(SELECT name FROM analyst WHERE name = ANY(\(analysts)::text[]) ORDER BY name),
                   ARRAY(SELECT home FROM analyst WHERE name = ANY(\(analysts)::text[]) ORDER BY name)
            FROM (SELECT 1) AS one LEFT JOIN replica_owner o ON o.replica = ANY(\(claimed)::text[])
            """, logger: logger)
        var access: PostgresAccess?, owners: [ReplicaID: ReplicaBinding] = [:]
        for try await (replica, analyst, key, ids, names, clearedAnalysts, compartments, write, homeAnalysts, homes)
            in rows.decode((String?, String?, Data?, [Int64], [String], [String], [Int64], [Bool], [String], [Int64]).self) {
            if let replica = replica.flatMap(ReplicaID.init), let analyst { owners[replica] = ReplicaBinding(analyst: analyst, publicKey: key) }
            if access == nil {
                access = PostgresAccess(ids: ids, names: names, cleared: (clearedAnalysts, compartments, write), homes: (homeAnalysts, homes))
            }
        }
        guard let access else { throw PostgresStoreError.damaged("the compartments could not be read") }
        return (access, owners)
    }
}

extension PostgresAccess {
    /// Locks the one-row placement head for the rest of the transaction and returns its position.
    ///
    /// Every change of an existing record's compartments is made while holding it (a move, or a
    /// push that notes cell numbers or tags signals), so those changes never overwrite each
    /// other, see the cell numbers and signal tags committed before them, and are numbered in
    /// commit order: a reader following the placements by cursor never passes one committed later.
    static func lockPlacements(_ connection: PostgresConnection, _ logger: Logger) async throws -> UInt64 {
        for try await seq in try await connection.query("SELECT seq FROM placement_head FOR UPDATE", logger: logger).decode(Int64.self) {
            return UInt64(seq)
        }
        throw PostgresStoreError.damaged("the placement head is missing")
    }
}

/// The changes of records' compartments one transaction makes while holding the placement head
/// (see ``PostgresAccess/lockPlacements(_:_:)``): each record's compartments before the
/// transaction and now, written as one placement per existing record that changed (a record
/// the transaction made is only given its compartments: no replica has seen it yet).
struct PlacementChanges {
    /// Where the placement log stood when the head was locked.
    let head: UInt64
    let time: Int64
    private var changes: [String: Change] = [:]

    private struct Change {
        var before: [Int64]
        var after: [Int64]
        var logged: Bool
    }

    init(head: UInt64, time: Int64) {
        self.head = head
        self.time = time
    }

    /// The record's compartments as this transaction leaves them, given those it read.
    func current(_ record: String, stored: [Int64]) -> [Int64] {
        changes[record]?.after ?? stored
    }

    /// Gives `record` (whose stored compartments are `stored`) the compartments `after`; a
    /// `logged` change is written to the placement log that replicas follow.
    mutating func place(_ record: String, stored: [Int64], to after: [Int64], logged: Bool) {
        changes[record] = Change(before: changes[record]?.before ?? stored, after: after.sorted(), logged: logged)
    }

    /// Writes the records' new compartments and one placement for each logged record whose
    /// compartments differ from what they were, numbered after the head; moves the head.
    func write(_ connection: PostgresConnection, _ logger: Logger) async throws {
        let changed = changes.filter { $0.value.before != $0.value.after }.sorted { $0.key < $1.key }
        guard !changed.isEmpty else { return }
        try await connection.query("""
            UPDATE record SET compartments = u.after::bigint[]
            FROM unnest(\(changed.map(\.key))::text[], \(changed.map { Self.text($0.value.after) })::text[]) AS u (id, after) WHERE record.id = u.id
            """, logger: logger)
        let logged = changed.filter(\.value.logged)
        guard !logged.isEmpty else { return }
        let seqs = (1...logged.count).map { Int64(head) + Int64($0) }
        try await connection.query("""
            INSERT INTO placement (seq, record, before, after, time)
            SELECT u.seq, u.record, u.before::bigint[], u.after::bigint[], \(time)
            FROM unnest(\(seqs)::bigint[], \(logged.map(\.key))::text[], \(logged.map { Self.text($0.value.before) })::text[],
                        \(logged.map { Self.text($0.value.after) })::text[]) AS u (seq, record, before, after)
            """, logger: logger)
        try await connection.query("UPDATE placement_head SET seq = \(seqs.last!)", logger: logger)
    }

    /// Compartment ids as an array literal, for arrays of arrays that `unnest` would flatten.
    static func text(_ compartments: [Int64]) -> String {
        "{" + compartments.sorted().map(String.init).joined(separator: ",") + "}"
    }
}
