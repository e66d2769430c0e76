import Foundation
import GRDB
public import SyncModel
import SyncProtocol

/// What a bundle made for one analyst may carry: the records that analyst may read, as the
/// server last told this replica (see ``AccessUpdate/colleagues``).
public struct BundleFilter: Sendable {
    /// The analyst the bundle is for.
    public var receiver: String
    /// The compartments they may read.
    public var reads: Set<String>
    /// The compartments of the records this file holds or made outside the default one alone.
    var restricted: [RecordID: [String]]

    /// Whether the receiver may read `record`.
    func admits(_ record: RecordID) -> Bool {
        reads.isSuperset(of: restricted[record] ?? [Compartment.defaultName])
    }
}

/// Why no bundle can be made for an analyst.
public enum BundleFilterError: Error, Sendable, CustomStringConvertible {
    /// The server has not told this replica what the analyst may read.
    case unknownReceiver(String, holdsRestricted: Int)

    public var description: String {
        switch self {
        case .unknownReceiver(let name, let count):
            return "this replica holds \(count) record\(count == 1 ? "" : "s") outside the default compartment and does not know what '\(name)' may read: the server tells every replica what its colleagues are cleared for at the first sync after a clearance changes. Check the name (an analyst, or a replica id whose bundle was applied here), or sync and make the bundle again. No file was written"
        }
    }
}

extension Replica {
    /// Keeps what each colleague may read, as an answer told it (nil: a team without
    /// compartments, where nothing is filtered).
    static func noteColleagues(_ colleagues: [String: [String]]?, _ db: Database) throws {
        guard let colleagues else {
            try db.execute(sql: "DELETE FROM meta WHERE key = 'colleagues'")
            return
        }
        try Meta.set("colleagues", encoding: colleagues, db)
    }

    /// What each colleague may read among this analyst's compartments, as the server last told
    /// it; nil before it told any.
    public func colleagues() throws -> [String: [String]]? {
        try store.read { db in
            guard let text = try Meta.get("colleagues", db) else { return nil }
            return try? JSONDecoder().decode([String: [String]].self, from: Data(text.utf8))
        }
    }

    /// The analyst `name` stands for: itself, or the analyst of the peer replicas whose id
    /// starts with it (see ``peerHolds(_:)``).
    public func peerAnalyst(_ name: String) throws -> String {
        try store.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT replica, analyst FROM peer ORDER BY replica")
            if rows.contains(where: { ($0[1] as String) == name }) { return name }
            let analysts = Set(rows.filter { ($0[0] as String).hasPrefix(name.lowercased()) }.map { $0[1] as String })
            return analysts.count == 1 ? analysts.first! : name
        }
    }

    /// The filter for a bundle made for the analyst `name` stands for; nil when none is needed
    /// (this file holds nothing outside the default compartment and the server never said what
    /// the analyst reads). Throws when this file holds restricted records and the server never
    /// said what the analyst may read.
    public func bundleFilter(for name: String) throws -> BundleFilter? {
        let receiver = try peerAnalyst(name)
        let restricted = try restrictedRecords()
        if let reads = try colleagues()?[receiver] {
            return BundleFilter(receiver: receiver, reads: Set(reads), restricted: restricted)
        }
        guard restricted.isEmpty else { throw BundleFilterError.unknownReceiver(name, holdsRestricted: restricted.count) }
        return nil
    }

    /// How many of `records` are outside the default compartment alone.
    public func restrictedRecordCount(in records: [RecordID]) throws -> Int {
        let restricted = try restrictedRecords()
        return records.filter { restricted[$0] != nil }.count
    }

    /// The compartments of every record this file holds or made outside the default one alone.
    func restrictedRecords() throws -> [RecordID: [String]] {
        try store.read { db in try Self.restrictedRecords(db) }
    }

    static func restrictedRecords(_ db: Database) throws -> [RecordID: [String]] {
        var restricted: [RecordID: [String]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT uuid, compartments FROM record WHERE compartments IS NOT NULL") {
            if let id = RecordID(row[0] as String) { restricted[id] = (row[1] as String).split(separator: ",").map(String.init) }
        }
        let homes = try Row.fetchAll(db, sql: "SELECT record, compartment FROM record_home WHERE compartment <> ?", arguments: [Compartment.defaultName])
        for row in homes {
            if let id = RecordID(row[0] as String), restricted[id] == nil { restricted[id] = [row[1] as String] }
        }
        return restricted
    }

    /// Checks that this replica may read every record `bundle` carries (its own word on a record
    /// it holds, else the compartments the bundle names, else the default one), and returns the
    /// compartments to note for the records it does not hold yet. Throws, naming the records,
    /// when it may not: nothing is applied.
    static func checkClearances(for bundle: VersionBundle, _ db: Database) throws -> [Placement] {
        let named = bundle.header.compartments ?? [:]
        let clearances = try clearances(db)
        let told = try Meta.get("clearances_told", db) != nil
        guard told || !named.isEmpty else { return [] }
        guard told else { throw StoreError.clearancesUnknown }
        let reads = Set(clearances.map(\.compartment))
        let lookup = try db.cachedStatement(sql: "SELECT 1 FROM record WHERE uuid = ?")
        var refused: [RecordID: [String]] = [:]
        var placements: [Placement] = []
        for record in bundle.records {
            let held = try Int.fetchOne(lookup, arguments: [record.rawValue]) != nil
            let compartments = held ? try Self.compartments(of: record, db) : named[record] ?? [Compartment.defaultName]
            if !reads.isSuperset(of: compartments) {
                refused[record] = compartments
            } else if !held, let names = named[record] {
                placements.append(Placement(record: record, compartments: names))
            }
        }
        guard refused.isEmpty else {
            let outside = Set(refused.values.flatMap { $0 }).subtracting(reads).sorted()
            throw StoreError.bundleNotCleared(records: refused.keys.sorted(), compartments: outside)
        }
        return placements
    }
}
