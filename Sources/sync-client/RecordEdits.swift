import LocalStore
import SyncClientCore
import SyncModel

/// The edits `cell` and `signal` commands share.
enum RecordEdits {
    /// The value a `set` command gives (argument or file), parsed for the field; refuses deleted records.
    static func parsedValue(for record: RecordSnapshot, field: String, value: String?, file: String?) throws -> FieldValue {
        if record.deleted { throw StoreError.recordDeleted(record.id) }
        return try ValueParser.parse(try readValue(value: value, file: file), kind: record.kind, field: field)
    }

    static func write(_ replica: Replica, _ record: RecordSnapshot, field: String, value: FieldValue) throws {
        try replica.write([FieldChange(record: record.id, kind: record.kind, field: field, value: value)], at: WallClock.now())
    }

    static func delete(_ replica: Replica, _ record: RecordSnapshot) throws {
        if record.deleted { throw ClientError("\(record.kind) \(record.id.short) is already deleted") }
        try write(replica, record, field: RecordSchema.deletedFieldName, value: .bool(true))
    }
}
