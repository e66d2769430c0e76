import GRDB
import SyncModel

/// Reading versions from rows of the `version` table.
enum VersionRow {
    /// Decodes `counter, record, kind, field, context, value, author, time` starting at column `offset`.
    static func decode(_ row: Row, replica: ReplicaID, offset: Int) throws -> Version {
        guard let record = RecordID(row[offset + 1] as String) else {
            throw StoreError.writeFailed(reason: "the database holds a malformed record id; run PRAGMA integrity_check")
        }
        return Version(
            dot: Dot(replica: replica, counter: UInt64(row[offset] as Int64)),
            context: try StoreCoding.decodeVector(row[offset + 4]),
            record: record,
            kind: row[offset + 2],
            field: row[offset + 3],
            value: try StoreCoding.decodeValue(row[offset + 5]),
            author: row[offset + 6],
            time: row[offset + 7]
        )
    }

    static let columns = names.joined(separator: ", ")

    /// The same columns qualified by the `version` table's name, for joins.
    static let qualifiedColumns = names.map { "version.\($0)" }.joined(separator: ", ")

    private static let names = ["counter", "record", "kind", "field", "context", "value", "author", "time"]
}
