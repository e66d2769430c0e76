import GRDB
import SyncModel
import SyncProtocol

/// Reading versions from rows of the `version` table.
enum VersionRow {
    /// Decodes `counter, record, kind, field, context, value, author, time` starting at column
    /// `offset`; `names` reads the replicas its context names. `statement`, when `row` is the
    /// current row of a cursor over it, lets the context be read in place.
    static func decode(
        _ row: Row, statement: SQLiteStatement? = nil, replica: ReplicaID, offset: Int, names: inout ReplicaNames, _ db: Database
    ) throws -> Version {
        try decodeMeasured(row, statement: statement, replica: replica, offset: offset, names: &names, db).version
    }

    /// The same as ``decode(_:statement:replica:offset:names:_:)``, with the version's size for a ``PageBudget``.
    static func decodeMeasured(
        _ row: Row, statement: SQLiteStatement? = nil, replica: ReplicaID, offset: Int, names: inout ReplicaNames, _ db: Database
    ) throws -> (version: Version, bytes: Int) {
        let parts = try decodeLeavingValue(row, statement: statement, replica: replica, record: nil, offset: offset, names: &names, db)
        var version = parts.version
        version.value = try StoreCoding.decodeValue(parts.value)
        return (version, PageBudget.size(context: version.context, value: parts.value))
    }

    /// The version with its value as stored text and `.null` in its place, for a reader that
    /// decodes only the values it keeps; `record`, when the caller knows it, is not parsed again.
    static func decodeLeavingValue(
        _ row: Row, statement: SQLiteStatement? = nil, replica: ReplicaID, record known: RecordID?, offset: Int,
        names: inout ReplicaNames, _ db: Database
    ) throws -> (version: Version, value: String) {
        guard let record = known ?? RecordID(row[offset + 1] as String) else {
            throw StoreError.damaged("the database holds a malformed record id")
        }
        let version = Version(
            dot: Dot(replica: replica, counter: UInt64(row[offset] as Int64)),
            context: try names.vector(row, offset + 4, in: statement, db),
            record: record,
            kind: row[offset + 2],
            field: row[offset + 3],
            value: .null,
            author: row[offset + 6],
            time: row[offset + 7]
        )
        return (version, row[offset + 5])
    }

    /// `counter, record, kind, field, context, value, author, time` of a version `v` (its
    /// record as the record's uuid, from `rec`), read from ``tables``.
    static let columns = "v.counter, rec.uuid, v.kind, v.field, v.context, v.value, v.author, v.time"

    /// A version `v` joined with its record `rec`: the `version` table names records by row id.
    static let tables = "version v JOIN record rec ON rec.id = v.record"
}
