import Foundation
package import LocalStore
package import SyncModel

/// Setting one field of a cell or signal as people do it, from the command line or the web
/// page: the value parsed for its field, a cell's new number refused while another cell holds
/// it, references by number following a renumbered cell, and notes on what came of it.
package enum RecordEditor {
    /// Sets `field` of `record` to `text` (parsed for the field) and returns what a person should
    /// be told: the outcome when it is not the obvious one, then notes on unknown cell numbers.
    /// Nothing is written when it throws.
    @discardableResult
    package static func set(_ replica: Replica, _ record: RecordSnapshot, field: String, text: String) throws -> [String] {
        if record.deleted { throw StoreError.recordDeleted(record.id) }
        let value = try ValueParser.parse(text, kind: record.kind, field: field)
        if record.kind == "cell", field == "number", let number = value.int, number != record.value("number").int,
           (try? RecordLookup(store: replica.store).cell(String(number))) != nil {
            throw ClientError("a cell numbered \(number) already exists; pick another number")
        }
        let following = record.kind == "cell" && field == "number" ? try referencesFollowing(record, in: replica.store) : []
        return try write(replica, record, field: field, value: value, alongside: following)
    }

    /// Adds a signal with the fields given as typed (nil or empty ones left out; a title and a
    /// date are needed), in one write; its id and the notes to tell a person.
    package static func addSignal(_ replica: Replica, fields given: [(field: String, text: String?)]) throws -> (id: RecordID, notes: [String]) {
        let present = given.filter { !($0.text ?? "").isEmpty }
        guard present.contains(where: { $0.field == "title" }), present.contains(where: { $0.field == "date" }) else {
            throw ClientError("a signal needs a title and a date (2026, 2026-02 or 2026-02-18)")
        }
        let id = RecordID.random()
        let changes = try present.map { field, text in
            FieldChange(record: id, kind: "signal", field: field, value: try ValueParser.parse(text ?? "", kind: "signal", field: field))
        }
        try replica.placeNewRecord(id)
        return (id, try write(replica, changes))
    }

    /// Writes `changes` (cell numbers they tag stored as ids where a cell holds them) as one
    /// transaction; the notes to tell a person.
    package static func write(_ replica: Replica, _ changes: [FieldChange]) throws -> [String] {
        let cells = try CellDirectory(store: replica.store)
        let changes = changes.map(cells.stored)
        try replica.write(changes, at: WallClock.now())
        return try unknownCellNotes(replica.store, changes).map { "note: \($0)" }
    }

    /// Sets one parsed field (see ``Replica/set(_:alongside:at:)``); the lines to tell a person.
    package static func write(_ replica: Replica, _ record: RecordSnapshot, field: String, value: FieldValue, alongside others: [FieldChange] = []) throws -> [String] {
        let cells = try CellDirectory(store: replica.store)
        let change = cells.stored(FieldChange(record: record.id, kind: record.kind, field: field, value: value))
        let outcome = try replica.set(change, alongside: others, at: WallClock.now())
        let line = TextOutput.setOutcome(outcome, record: record, field: field, value: value)
        return (line.map { [$0] } ?? []) + (try unknownCellNotes(replica.store, [change]).map { "note: \($0)" })
    }

    /// A note for each cell number `changes` tag that names no cell in this replica: a typo, or
    /// a cell another analyst made that has not synced here yet, so the tag is kept either way.
    package static func unknownCellNotes(_ store: Store, _ changes: [FieldChange]) throws -> [String] {
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

    /// The writes that keep references by number to cell `record` pointing at it when it is
    /// renumbered: references stored as the old number (older data) become the cell's id.
    package static func referencesFollowing(_ record: RecordSnapshot, in store: Store) throws -> [FieldChange] {
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
