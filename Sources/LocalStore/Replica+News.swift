import Foundation
import GRDB
import SyncModel

/// What a replica keeps of where its analyst last looked, and what arrived since (see
/// ``NewsMark``, ``Arrivals``).
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
            let seen = mark?.vector ?? VersionVector()
            var arrived = ArrivalCount()
            // A record is new when every version of it is past the mark: its own ones too.
            var pastMark: [RecordID: Int] = [:]
            let page = try db.cachedStatement(sql: """
                SELECT rec.uuid, v.kind, v.field, v.author FROM version v JOIN record rec ON rec.id = v.record
                WHERE v.replica = ? AND v.counter > ?
                """)
            for replica in try Row.fetchAll(db, sql: "SELECT id, uuid, counter FROM replica WHERE counter > 0") {
                guard let id = ReplicaID(replica[1] as String), UInt64(replica[2] as Int64) > seen[id] else { continue }
                let rows = try Row.fetchCursor(page, arguments: [replica[0] as Int64, Int64(seen[id])])
                while let row = try rows.next() {
                    if !own.contains(id) { try arrived.count(row, offset: 0) }
                    if let record = RecordID(row[0] as String) { pastMark[record, default: 0] += 1 }
                }
            }
            let held = try db.cachedStatement(sql: "SELECT count(*) FROM version WHERE record = (SELECT id FROM record WHERE uuid = ?)")
            var heldBefore: Set<RecordID> = []
            for (record, past) in pastMark where try Int.fetchOne(held, arguments: [record.rawValue]) != past {
                heldBefore.insert(record)
            }
            return arrived.arrivals(now: NewsMark(vector: try VersionTable.versionVector(db), conflicts: try Self.openConflicts(store, db), time: time),
                                    touched: Set(pastMark.keys), heldBefore: heldBefore)
        }
    }

    /// What other replicas wrote after `moment` (milliseconds since 1970, by their authors'
    /// clocks), whenever it arrived. A record is new when none of its versions is from before.
    public func arrivals(writtenAfter moment: Int64, at time: Int64) throws -> Arrivals {
        try store.read { db in
            let own = try ownReplicas(db)
            var arrived = ArrivalCount()
            // No index by time: a scan, as `log` makes; a look at a point is rare.
            let rows = try Row.fetchCursor(db, sql: """
                SELECT r.uuid, rec.uuid, v.kind, v.field, v.author FROM version v JOIN record rec ON rec.id = v.record JOIN replica r ON r.id = v.replica
                WHERE v.time > ?
                """, arguments: [moment])
            var touched: Set<RecordID> = []
            while let row = try rows.next() {
                if let record = RecordID(row[1] as String) { touched.insert(record) }
                guard let replica = ReplicaID(row[0] as String), !own.contains(replica) else { continue }
                try arrived.count(row, offset: 1)
            }
            let older = try db.cachedStatement(sql: """
                SELECT 1 FROM version v JOIN record rec ON rec.id = v.record WHERE rec.uuid = ? AND v.time <= ? LIMIT 1
                """)
            var heldBefore: Set<RecordID> = []
            for record in touched where try Int.fetchOne(older, arguments: [record.rawValue, moment]) != nil {
                heldBefore.insert(record)
            }
            return arrived.arrivals(now: NewsMark(vector: try VersionTable.versionVector(db), conflicts: try Self.openConflicts(store, db), time: time),
                                    touched: touched, heldBefore: heldBefore)
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
