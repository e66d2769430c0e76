import ArgumentParser
import Foundation
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

    /// Refuses a blank `--title` on a new cell or signal as a usage error, before the replica is
    /// opened; `ValueParser` refuses it on every other path (`set`, `resolve --value`).
    static func requireTitle(_ title: String) throws {
        guard !title.allSatisfy(\.isWhitespace) else { throw ValidationError("--title must not be empty: lists show it") }
    }

    /// Sets one field (see ``Replica/set(_:at:)``) and says what came of it when a person would
    /// not otherwise know: nothing written, or a conflict closed.
    static func write(_ replica: Replica, _ record: RecordSnapshot, field: String, value: FieldValue, alongside others: [FieldChange] = []) throws {
        let cells = try CellDirectory(store: replica.store)
        let change = cells.stored(FieldChange(record: record.id, kind: record.kind, field: field, value: value))
        let outcome = try replica.set(change, alongside: others, at: WallClock.now())
        if let line = TextOutput.setOutcome(outcome, record: record, field: field, value: value) { print(line) }
        try printNotes(replica, [change])
    }

    /// Writes `changes` as one transaction, then notes on standard error any cell number they
    /// tag that names no cell in this replica: a typo, or a cell another analyst made that has
    /// not synced here yet, so the tag is kept either way.
    static func write(_ replica: Replica, _ changes: [FieldChange]) throws {
        let cells = try CellDirectory(store: replica.store)
        let changes = changes.map(cells.stored)
        try replica.write(changes, at: WallClock.now())
        try printNotes(replica, changes)
    }

    private static func printNotes(_ replica: Replica, _ changes: [FieldChange]) throws {
        for note in try unknownCellNotes(replica.store, changes) {
            FileHandle.standardError.write(Data("note: \(note)\n".utf8))
        }
    }

    static func unknownCellNotes(_ store: Store, _ changes: [FieldChange]) throws -> [String] {
        try changes.compactMap { change -> String? in
            guard store.schemas[change.kind]?.field(change.field)?.valueType == .cellRefs, let refs = change.value.list else { return nil }
            // Stored references are ids where a number named a cell here; a number left is one no cell holds.
            let unknown = try refs.filter { ref in try CellRef.number(ref).map { try store.cellIDs(number: $0).isEmpty } ?? false }
            guard !unknown.isEmpty else { return nil }
            let numbers = unknown.count == 1 ? unknown[0] : unknown.dropLast().joined(separator: ", ") + " or " + unknown[unknown.count - 1]
            return "no cell numbered \(numbers) in this replica yet; \(change.field) keeps \(unknown.count == 1 ? "it" : "them") as written. "
                + "If that is a typo, set \(change.field) again; list cells with `sync-client cell list`"
        }
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

    /// The writes that keep references by number to cell `record` pointing at it when it is
    /// renumbered: references stored as the old number (older data) become the cell's id.
    static func referencesFollowing(_ record: RecordSnapshot, in store: Store) throws -> [FieldChange] {
        guard let old = record.value("number").int, try store.cellIDs(number: old).count == 1 else { return [] }
        var changes: [FieldChange] = []
        for kind in ["signal", "cell"] {
            for other in try store.records(kind: kind, includeDeleted: true) {
                for field in SchemaRegistry.standard[kind]?.fields ?? [] where field.valueType == .cellRefs {
                    let refs = other.list(field.name)
                    guard refs.contains(String(old)) else { continue }
                    let moved = refs.map { $0 == String(old) ? record.id.rawValue : $0 }
                    changes.append(FieldChange(record: other.id, kind: kind, field: field.name, value: .list(ValueRules.canonicalSet(moved, type: .cellRefs))))
                }
            }
        }
        return changes
    }
}
