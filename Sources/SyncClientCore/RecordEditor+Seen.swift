package import LocalStore
package import SyncModel

/// What came of an edit made from a form that showed the field at some state.
package enum SeenEditOutcome: Sendable, Equatable {
    /// The field was as the form showed it: written (or already that value), as `cell set`
    /// does; the lines to tell a person.
    case saved([String])
    /// The field had changed since the form showed it; the edit, written as an edit of what the
    /// form showed, merged with that change.
    case merged([String])
    /// The field had changed since, and the two edits are in conflict.
    case conflict(ConflictID, [String])
}

extension RecordEditor {
    /// The field's state as a form shows it: every version of it this replica holds, as the
    /// join of its heads' contexts and dots. An edit made from the form builds on exactly this.
    package static func seenState(_ store: Store, record: RecordID, field: String) throws -> VersionVector {
        var vector = VersionVector()
        for head in try store.fieldHeads(record: record)[field] ?? [] {
            vector.merge(head.context)
            vector.add(head.dot)
        }
        return vector
    }

    /// Sets `field` of `record` to `text` as a person who saw the field at `seen` (see
    /// ``seenState(_:record:field:)``). Unchanged since, it is ``set(_:_:field:text:)``. Changed
    /// since (a colleague's version arrived), the edit is written as an edit of what was seen,
    /// as `resolve --edit` and an import of an export write theirs, so the engine merges it with
    /// the change or raises a conflict; it never overwrites the change unseen.
    /// Nothing is written when it throws.
    package static func set(_ replica: Replica, _ record: RecordSnapshot, field: String, text: String, seen: VersionVector) throws -> SeenEditOutcome {
        guard try seenState(replica.store, record: record.id, field: field) != seen, field != "number" else {
            return .saved(try set(replica, record, field: field, text: text))
        }
        if record.deleted { throw StoreError.recordDeleted(record.id) }
        let value = try ValueParser.parse(text, kind: record.kind, field: field)
        let cells = try CellDirectory(store: replica.store)
        let change = cells.stored(FieldChange(record: record.id, kind: record.kind, field: field, value: value))
        try replica.write([change], basedOn: [seen], at: WallClock.now())
        let notes = try unknownCellNotes(replica.store, [change]).map { "note: \($0)" }
        if let conflict = try replica.store.record(record.id)?.fields[field]?.conflict { return .conflict(conflict, notes) }
        return .merged(notes)
    }
}
