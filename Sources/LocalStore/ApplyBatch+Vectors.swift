import GRDB
import SyncModel

/// The vectors a local write takes as its context: a field's, or a whole record's for a delete.
extension ApplyBatch {
    /// The highest counter held from `replica`.
    mutating func counter(of replica: ReplicaID) throws -> UInt64 {
        try replicaEntry(replica).counter
    }

    /// The context for a new local write of `field` of `record`: every version of it known here.
    mutating func fieldVector(record: RecordID, kind: String, field: String) throws -> VersionVector {
        let slot = try fieldSlot(FieldKey(record: record, field: field), kind: kind)
        return fields.values[slot].heads.localWriteContext
    }

    /// The context for a delete: the join of every field's vector of the record, so that edits
    /// the deleter had not seen can be told apart (see ``DeleteConflict``).
    mutating func recordVector(record: RecordID, kind: String) throws -> VersionVector {
        var vector = VersionVector()
        let names = try recordEntry(record).map { entry in
            try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM field WHERE record = ?"), arguments: [entry.rowID])
        } ?? []
        let cached = fields.keys.filter { $0.record == record }.map(\.field)
        for name in Set(names + cached) {
            let slot = try fieldSlot(FieldKey(record: record, field: name), kind: kind)
            vector.merge(fields.values[slot].heads.fieldVector)
        }
        return vector
    }
}
