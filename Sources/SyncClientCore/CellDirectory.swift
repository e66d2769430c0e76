package import LocalStore
package import SyncModel

/// How references to cells (a signal's `cells`, a cell's `relatedCells`) are stored and shown.
///
/// A reference is stored as the cell's id, so that it follows its cell when the cell is
/// renumbered and never passes to a new cell given an old number; people read and type
/// numbers. A number stays stored as a number where no single live cell holds it here (a typo,
/// or a cell another analyst made that has not synced yet), and in data written before ids
/// were stored; such a number names the live cell that has it.
package struct CellDirectory: Sendable {
    /// Every cell's number, deleted cells included (a reference to one still shows its number).
    private var numbers: [RecordID: Int64] = [:]
    /// The live cells holding each number.
    private var live: [Int64: [RecordID]] = [:]

    /// The directory of `cells` (deleted ones included, as `records(kind:includeDeleted:)` gives them).
    package init(cells: [RecordSnapshot]) {
        for cell in cells {
            guard let number = cell.value("number").int else { continue }
            numbers[cell.id] = number
            if !cell.deleted { live[number, default: []].append(cell.id) }
        }
    }

    /// The directory of every cell `store` holds (read through the index on numbers).
    package init(store: Store) throws {
        for cell in try store.cellNumbers() {
            numbers[cell.id] = cell.number
            if !cell.deleted { live[cell.number, default: []].append(cell.id) }
        }
    }

    /// A directory where `cells` (a file's, say) take their numbers before this one's.
    /// (Cells of the file that share a number leave it naming no single cell.)
    package func overridden(by cells: [(id: RecordID, number: Int64)]) -> CellDirectory {
        var copy = self
        for (id, _) in cells {
            if let old = copy.numbers[id] { copy.live[old]?.removeAll { $0 == id } }
        }
        for (number, group) in Dictionary(grouping: cells, by: \.number) {
            copy.live[number] = group.map(\.id)
            for cell in group { copy.numbers[cell.id] = number }
        }
        return copy
    }

    /// The reference as stored: a number that names exactly one live cell becomes its id.
    package func stored(_ reference: String) -> String {
        guard let number = CellRef.number(reference), let cells = live[number], cells.count == 1 else { return reference }
        return cells[0].rawValue
    }

    /// The reference as people read it: a cell's number (an id of a cell not held here stays).
    package func shown(_ reference: String) -> String {
        guard let id = RecordID(reference), let number = numbers[id] else { return reference }
        return String(number)
    }

    /// `value` of `field` as stored, when the field holds cell references.
    package func stored(_ value: FieldValue, field: FieldSchema?) -> FieldValue {
        guard field?.valueType == .cellRefs, let items = value.list else { return value }
        return .list(ValueRules.canonicalSet(items.map(stored), type: .cellRefs))
    }

    /// `value` of `field` as people read it, when the field holds cell references.
    package func shown(_ value: FieldValue, field: FieldSchema?) -> FieldValue {
        guard field?.valueType == .cellRefs, let items = value.list else { return value }
        return .list(ValueRules.canonicalSet(items.map(shown), type: .cellRefs))
    }

    /// The change as written: its cell references stored as ids where they can be.
    package func stored(_ change: FieldChange) -> FieldChange {
        var copy = change
        copy.value = stored(change.value, field: SchemaRegistry.standard[change.kind]?.field(change.field))
        return copy
    }

    /// `record` as people read it: cell references by number.
    package func shown(_ record: RecordSnapshot) -> RecordSnapshot {
        var copy = record
        let schema = SchemaRegistry.standard[record.kind]
        for (name, field) in record.fields where schema?.field(name)?.valueType == .cellRefs {
            copy.fields[name]?.value = shown(field.value, field: schema?.field(name))
        }
        return copy
    }

    /// Each of `records` as people read it.
    package func shown(_ records: [RecordSnapshot]) -> [RecordSnapshot] { records.map(shown) }

    /// `version` as people read it.
    package func shown(_ version: Version) -> Version {
        var copy = version
        copy.value = shown(version.value, field: SchemaRegistry.standard[version.kind]?.field(version.field))
        return copy
    }
}
