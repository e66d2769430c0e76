import GRDB
import SyncModel
package import SyncProtocol

/// Need-to-know read out whole, for `sync-server migrate`.
extension SQLiteServerStore {
    /// Every compartment, clearance, analyst's default compartment and access version, record
    /// outside the default compartment, placement, cell number and signal tag (by number and by
    /// id), from one snapshot.
    package func storedAccess() throws -> StoredAccess {
        try read { db in
            var access = StoredAccess()
            let classes = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, compartments FROM access_class").map { row in
                (row[0] as Int64, (row[1] as String).split(separator: ",").compactMap { Int64($0) })
            })
            func record(_ text: String) throws -> RecordID {
                guard let id = RecordID(text) else { throw StoreError.damaged("the database holds a malformed record id") }
                return id
            }
            access.compartments = try Row.fetchAll(db, sql: "SELECT id, name, created FROM compartment ORDER BY id").map { ($0[0], $0[1], $0[2]) }
            access.clearances = try Row.fetchAll(db, sql: "SELECT analyst, compartment, write FROM clearance ORDER BY analyst, compartment").map { ($0[0], $0[1], $0[2]) }
            access.analysts = try Row.fetchAll(db, sql: "SELECT name, home, access_version FROM analyst ORDER BY name").map { ($0[0], $0[1], UInt64($0[2] as Int64)) }
            access.records = try Row.fetchAll(db, sql: "SELECT uuid, class FROM record WHERE class <> 1 ORDER BY uuid").map {
                (try record($0[0]), classes[$0[1] as Int64] ?? [])
            }
            access.placements = try Row.fetchAll(db, sql: """
                SELECT p.seq, rec.uuid, p.before, p.after, p.time FROM placement p JOIN record rec ON rec.id = p.record ORDER BY p.seq
                """).map { (UInt64($0[0] as Int64), try record($0[1]), classes[$0[2] as Int64] ?? [], classes[$0[3] as Int64] ?? [], $0[4]) }
            access.cellNumbers = try Row.fetchAll(db, sql: "SELECT n.number, rec.uuid FROM cell_number n JOIN record rec ON rec.id = n.record ORDER BY 1, 2")
                .map { ($0[0], try record($0[1])) }
            access.signalTags = try Row.fetchAll(db, sql: "SELECT t.number, rec.uuid FROM signal_tag t JOIN record rec ON rec.id = t.signal ORDER BY 1, 2")
                .map { ($0[0], try record($0[1])) }
            access.signalRefs = try Row.fetchAll(db, sql: "SELECT r.cell, rec.uuid FROM signal_ref r JOIN record rec ON rec.id = r.signal ORDER BY 1, 2")
                .map { (try record($0[0]), try record($0[1])) }
            return access
        }
    }
}
