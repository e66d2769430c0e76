import Foundation
import SyncModel

/// How a version is read back from its row: the columns selected, the joins they need, and the
/// decoding (`v` is the version table, `r` its replica, `rec` its record).
enum VersionColumns {
    static let select = "r.uuid, v.counter, v.record, rec.kind, v.field, v.context, v.value, v.author, v.time"
    static let joins = "JOIN replica r ON r.id = v.replica JOIN record rec ON rec.id = v.record"

    typealias Row = (String, Int64, String, String, String, String, String, String, Int64)

    static func version(_ row: Row) throws -> Version {
        let (uuid, counter, record, kind, field, context, value, author, time) = row
        guard let replica = ReplicaID(uuid), let recordID = RecordID(record), counter > 0 else {
            throw PostgresStoreError.damaged("a version row of replica '\(uuid)', counter \(counter), record '\(record)'")
        }
        guard let vector = VersionVector(text: context) else { throw PostgresStoreError.damaged("the context of version \(uuid):\(counter)") }
        return Version(dot: Dot(replica: replica, counter: UInt64(counter)), context: vector, record: recordID, kind: kind, field: field,
                       value: try ValueJSON.decode(value), author: author, time: time)
    }
}

/// A field value as stored: its JSON text, as the wire's JSON form writes it.
enum ValueJSON {
    static func encode(_ value: FieldValue) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> FieldValue {
        do {
            return try JSONDecoder().decode(FieldValue.self, from: Data(text.utf8))
        } catch {
            throw PostgresStoreError.damaged("a stored value that is not a field value")
        }
    }
}
