import Foundation
import GRDB
public import SyncModel

/// An open conflict as a news mark remembers it: enough to name it once it has closed.
public struct MarkedConflict: Sendable, Hashable {
    public var id: ConflictID
    public var record: RecordID
    public var kind: String
    public var field: String

    public init(id: ConflictID, record: RecordID, kind: String, field: String) {
        self.id = id
        self.record = record
        self.kind = kind
        self.field = field
    }

    public init(_ conflict: Conflict) {
        self.init(id: conflict.id, record: conflict.record, kind: conflict.kind, field: conflict.field)
    }
}

/// Where the analyst last looked at what arrived (`sync-client news`, the web dashboard's
/// "since your last visit"): the versions the replica held then, as a version vector, and the
/// conflicts open then. What arrived since is every version of another replica the vector
/// does not cover; new and closed conflicts are the difference between the two sets.
public struct NewsMark: Sendable, Equatable {
    /// Every version held at the look: `(r, 1...vector[r])` for each replica.
    public var vector: VersionVector
    /// The conflicts open at the look.
    public var conflicts: [MarkedConflict]
    /// When the look was (milliseconds since 1970): shown, never compared with versions' times.
    public var time: Int64

    public init(vector: VersionVector, conflicts: [MarkedConflict], time: Int64) {
        self.vector = vector
        self.conflicts = conflicts
        self.time = time
    }
}

/// What arrived in a replica since a point, read in one snapshot.
public struct Arrivals: Sendable {
    /// Versions of other replicas (not this file's own, now or before a rekey), in replica and
    /// counter order.
    public var versions: [Version]
    /// The records among them the replica held no version of at the point: new records.
    public var newRecords: Set<RecordID>
    /// The state read with them: what a look that showed them marks.
    public var now: NewsMark
}

extension Replica {
    /// The last look, if the analyst has looked yet.
    public func newsMark() throws -> NewsMark? {
        try store.read { db in try Self.newsMark(db) }
    }

    /// Moves the mark to `mark`, never back: its vector joins the stored one (a look at an
    /// older page, after a newer one, takes nothing back from "seen").
    public func moveNewsMark(to mark: NewsMark) throws {
        try store.transaction { db in
            var moved = mark
            if let old = try Self.newsMark(db) { moved.vector.merge(old.vector) }
            let conflicts = try JSONEncoder().encode(moved.conflicts.sorted { $0.id < $1.id }.map { [$0.id.rawValue, $0.record.rawValue, $0.kind, $0.field] })
            try Meta.set("news_vector", StoreCoding.encode(moved.vector), db)
            try Meta.set("news_conflicts", String(decoding: conflicts, as: UTF8.self), db)
            try Meta.set("news_time", String(moved.time), db)
        }
    }

    /// What arrived since `mark` (everything this replica received, without one), with the
    /// state to mark once it is shown.
    ///
    /// A version filling a gap below the mark (history a new clearance brought) is not listed:
    /// the mark says only how far each replica's versions reached.
    public func arrivals(since mark: NewsMark?, at time: Int64) throws -> Arrivals {
        try store.read { db in
            let own = try ownReplicas(db)
            let vector = try VersionTable.versionVector(db)
            let others = Set(vector.replicas).subtracting(own)
            let seen = mark?.vector ?? VersionVector()
            let versions = try VersionTable.versions(db, notCoveredBy: seen, limit: .max, replicas: others).versions
            var newRecords: Set<RecordID> = []
            let dots = try db.cachedStatement(sql: """
                SELECT r.uuid, v.counter FROM version v JOIN record rec ON rec.id = v.record JOIN replica r ON r.id = v.replica
                WHERE rec.uuid = ?
                """)
            for record in Set(versions.map(\.record)) {
                let held = try Row.fetchAll(dots, arguments: [record.rawValue])
                let heldBefore = held.contains { row in ReplicaID(row[0] as String).map { seen.covers(Dot(replica: $0, counter: UInt64(row[1] as Int64))) } ?? false }
                if !heldBefore { newRecords.insert(record) }
            }
            return Arrivals(versions: versions, newRecords: newRecords, now: NewsMark(vector: vector, conflicts: try Self.openConflicts(store, db), time: time))
        }
    }

    /// What other replicas wrote after `moment` (milliseconds since 1970, by their authors'
    /// clocks), whenever it arrived. A record is new when none of its versions is from before.
    public func arrivals(writtenAfter moment: Int64, at time: Int64) throws -> Arrivals {
        try store.read { db in
            let own = try ownReplicas(db)
            var names = ReplicaNames()
            var versions: [Version] = []
            // No index by time: a scan, as `log` makes; a look at a point is rare.
            for row in try Row.fetchAll(db, sql: """
                SELECT r.uuid, \(VersionRow.columns) FROM \(VersionRow.tables) JOIN replica r ON r.id = v.replica
                WHERE v.time > ? ORDER BY r.uuid, v.counter
                """, arguments: [moment]) {
                guard let replica = ReplicaID(row[0] as String), !own.contains(replica) else { continue }
                versions.append(try VersionRow.decode(row, replica: replica, offset: 1, names: &names, db))
            }
            let older = try db.cachedStatement(sql: """
                SELECT 1 FROM version v JOIN record rec ON rec.id = v.record WHERE rec.uuid = ? AND v.time <= ? LIMIT 1
                """)
            var newRecords: Set<RecordID> = []
            for record in Set(versions.map(\.record)) where try Int.fetchOne(older, arguments: [record.rawValue, moment]) == nil {
                newRecords.insert(record)
            }
            return Arrivals(versions: versions, newRecords: newRecords,
                            now: NewsMark(vector: try VersionTable.versionVector(db), conflicts: try Self.openConflicts(store, db), time: time))
        }
    }

    static func newsMark(_ db: Database) throws -> NewsMark? {
        guard let vector = try Meta.get("news_vector", db), let time = try Meta.get("news_time", db).flatMap(Int64.init) else { return nil }
        let rows = try Meta.get("news_conflicts", db).map { try JSONDecoder().decode([[String]].self, from: Data($0.utf8)) } ?? []
        let conflicts = rows.compactMap { row -> MarkedConflict? in
            guard row.count == 4, let id = ConflictID(row[0]), let record = RecordID(row[1]) else { return nil }
            return MarkedConflict(id: id, record: record, kind: row[2], field: row[3])
        }
        return NewsMark(vector: try StoreCoding.decodeVector(vector), conflicts: conflicts, time: time)
    }

    static func openConflicts(_ store: Store, _ db: Database) throws -> [MarkedConflict] {
        var names = ReplicaNames()
        return try (store.fieldConflicts(db, names: &names) + Store.numberConflicts(db, names: &names)).map(MarkedConflict.init).sorted { $0.id < $1.id }
    }
}
