import GRDB
public import SyncModel

/// What a replica that joined shallow knows of the history it lacks, so that no merge uses a
/// common ancestor other than the one a full replica would.
///
/// A merge picks its ancestor among each replica's greatest version of the field within the
/// heads' common context. After a shallow join a replica holds every version that came after the
/// join's position (they came by the feed) and, of those before it, only what the join brought;
/// `seen` is each replica's highest counter before that position. A candidate above `seen`
/// is certainly the greatest; one at or below it may hide a version the replica lacks.
struct HistoryGuard: Sendable {
    var seen: VersionVector
    /// Records whose whole history the replica has brought since.
    var complete: Set<RecordID>

    /// Whether the ancestor of `heads` of `field` of `record` is certainly among the versions held.
    func ancestorIsKnown(record: RecordID, field: String, heads: [Version], _ db: Database) throws -> Bool {
        if complete.contains(record) { return true }
        let common = FieldHeads.commonContext(of: heads)
        let statement = try db.cachedStatement(sql: Store.ancestorSQL)
        for replica in common.replicas where seen[replica] > 0 {
            let row = try Row.fetchOne(statement, arguments: [record.rawValue, field, replica.rawValue, Int64(common[replica])])
            guard let row, UInt64(row[0] as Int64) > seen[replica] else { return false }
        }
        return true
    }
}

/// A batch merged a field of records whose history a shallow join has not brought, and its
/// ancestor may be among the versions missing; nothing of the batch was kept.
public struct RecordHistoryNeeded: Error, Equatable, Sendable, CustomStringConvertible {
    public var records: [RecordID]

    public var description: String {
        "this replica joined shallow and a merge needs the history of \(records.count) record\(records.count == 1 ? "" : "s") it has not brought yet (\(records.prefix(3).map(\.short).joined(separator: ", "))); run `sync-client sync`, which brings it, then try again"
    }
}

extension ApplyBatch {
    /// Notes `key`'s record as lacking history when its heads' ancestor may be a version the
    /// replica has not brought (see ``HistoryGuard``).
    mutating func checkHistory(_ key: FieldKey, heads: [Version]) throws {
        guard heads.count > 1, !trustsHistory, !lacksHistory.contains(key.record) else { return }
        if historyGuard == nil { historyGuard = .some(try Replica.historyGuard(db)) }
        guard let known = historyGuard ?? nil else { return }
        if try !known.ancestorIsKnown(record: key.record, field: key.field, heads: heads, db) { lacksHistory.insert(key.record) }
    }
}
