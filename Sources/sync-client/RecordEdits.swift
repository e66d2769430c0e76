import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

/// The edits `cell` and `signal` commands share.
enum RecordEdits {
    /// Refuses a blank `--title` on a new cell or signal as a usage error, before the replica is
    /// opened; `ValueParser` refuses it on every other path (`set`, `resolve --value`).
    static func requireTitle(_ title: String) throws {
        guard !title.allSatisfy(\.isWhitespace) else { throw ValidationError("--title must not be empty: lists show it") }
    }

    /// Sets one field (see ``RecordEditor/write(_:_:field:value:alongside:)``) and says what came
    /// of it when a person would not otherwise know: nothing written, a conflict closed, an
    /// unknown cell number.
    static func write(_ replica: Replica, _ record: RecordSnapshot, field: String, value: FieldValue, alongside others: [FieldChange] = []) throws {
        tell(try RecordEditor.write(replica, record, field: field, value: value, alongside: others))
    }

    /// Prints what an edit says: notes on standard error, the rest on standard output.
    static func tell(_ lines: [String]) {
        for line in lines {
            if line.hasPrefix("note: ") { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
        }
    }

    /// Writes `changes` as one transaction, then notes on standard error any cell number they
    /// tag that names no cell in this replica.
    static func write(_ replica: Replica, _ changes: [FieldChange]) throws {
        tell(try RecordEditor.write(replica, changes))
    }

    /// Brings back a deleted record (or settles a delete conflict by keeping it); its fields are
    /// as they were, and a number another live cell took since becomes a shared-number conflict.
    static func restore(_ replica: Replica, _ record: RecordSnapshot) throws {
        let label = TextOutput.name(of: record)
        guard record.deleted || record.fields[RecordSchema.deletedFieldName]?.conflict != nil else {
            throw ClientError("\(label) is not deleted; nothing to restore")
        }
        try write(replica, record, field: RecordSchema.deletedFieldName, value: .bool(false))
        print("Restored \(label) (\(record.id.short)).")
    }

    static func delete(_ replica: Replica, _ record: RecordSnapshot) throws {
        if record.deleted { throw ClientError("\(record.kind) \(record.id.short) is already deleted") }
        try write(replica, record, field: RecordSchema.deletedFieldName, value: .bool(true))
    }
}
