package import LocalStore
package import SyncModel

/// What importing a dashboard file writes, worked out before anything is written.
///
/// A file that carries the state it was exported at (``DashboardFile/Contents/state``) is read
/// as that state plus the edits made to the file since: only fields whose value differs from
/// what they were at that state are written, each as an edit of that state (its context is the
/// field's vector then). An unchanged file writes nothing, whatever happened since; a hand
/// edit is an ordinary later edit, merged or in conflict with what others wrote meanwhile,
/// never a rewrite of everything. A file without a state is written over what this replica
/// holds now, field by field where the value differs.
///
/// A field that already holds the file's value is never written, so importing the same edited
/// file again writes nothing. A replica that lacks the file's state takes the file's values as
/// its own edits when it holds nothing yet (a page handed over on a stick to a new replica), or
/// when asked to (``StateMissing`` names the option); otherwise it is told to sync first.
package struct ImportPlan: Sendable {
    /// The writes, in file order.
    package var changes: [FieldChange]
    /// For each change, the field's vector at the file's state, or nil to write over what the
    /// replica holds (no state, or a record the state did not hold).
    package var states: [VersionVector?]
    /// Whether the file carried a state.
    package var basedOnState: Bool
    /// Whether the file carried a state this replica lacks, and its values were taken as this
    /// replica's own edits instead (see ``make(for:in:asOwnEdits:)``).
    package var stateSetAside = false

    /// Works out the writes for `contents` against `store`.
    /// - Parameters:
    ///   - asOwnEdits: when the replica lacks the file's state, write the file's values over what
    ///     it holds, as for a file without a state. A replica that holds no version does so anyway:
    ///     no sync could give it a state its exporter never sent to the server.
    /// - Throws: ``ImportError`` when a record cannot be imported (another kind, a number taken
    ///   by another cell, a record deleted at the file's state or, without a state, now), and
    ///   ``ImportPlan/StateMissing`` when the replica does not hold the file's state yet.
    package static func make(for contents: DashboardFile.Contents, in store: Store, asOwnEdits: Bool = false) throws -> ImportPlan {
        guard let state = contents.state else {
            let changes = try DashboardFile.changes(for: contents.records, in: store)
            return ImportPlan(changes: changes, states: changes.map { _ in nil }, basedOnState: false)
        }
        let held = try store.versionVector()
        guard held.covers(state) else {
            guard asOwnEdits || held.total == 0 else { throw StateMissing(state: state, held: held) }
            let changes = try DashboardFile.changes(for: contents.records, in: store)
            return ImportPlan(changes: changes, states: changes.map { _ in nil }, basedOnState: false, stateSetAside: true)
        }
        let current = try Dictionary(contents.records.compactMap { record in try store.record(record.id).map { (record.id, $0) } },
                                     uniquingKeysWith: { first, _ in first })
        let liveNumbers = Dictionary(try store.cellNumbers().filter { !$0.deleted }.map { ($0.number, $0.id) },
                                     uniquingKeysWith: { first, _ in first })
        let cells = try DashboardFile.directory(for: contents.records, in: store)
        var plan = ImportPlan(changes: [], states: [], basedOnState: true)
        for record in DashboardFile.stored(contents.records, cells) {
            let then = try store.fields(of: record.id, asOf: state)
            guard !then.isEmpty else {
                // A record the state did not hold: one added to the file by hand.
                let changes = try DashboardFile.changes(for: [record], in: store)
                plan.changes += changes
                plan.states += changes.map { _ in nil }
                continue
            }
            if let current = try store.record(record.id), current.kind != record.kind {
                throw ImportError(line: record.line, "record \(record.id) is a \(current.kind) in this replica, not a \(record.kind)")
            }
            if then[RecordSchema.deletedFieldName]?.value == .bool(true) {
                throw ImportError(line: record.line, "record \(record.id) was deleted when this file was exported; remove it from the file")
            }
            if record.kind == "cell", let number = record.fields["number"]?.int, then["number"]?.value != .int(number),
               let owner = liveNumbers[number], owner != record.id {
                throw ImportError(line: record.line, "cell number \(number) belongs to another cell (\(owner.short)) in this replica")
            }
            let schema = SchemaRegistry.standard[record.kind]!
            for field in schema.fields {
                guard let value = record.fields[field.name] else { continue }
                let exported = then[field.name]
                guard value != cells.stored(exported?.value ?? field.emptyValue, field: field) else { continue }
                // Already what the file says (this file imported before, or the same edit made
                // elsewhere): writing it again would only add a concurrent twin.
                if let now = current[record.id], now.fields[field.name]?.conflict == nil,
                   value == cells.stored(now.value(field.name), field: field) { continue }
                plan.changes.append(FieldChange(record: record.id, kind: record.kind, field: field.name, value: value))
                // A field the state never saw written: concurrent with anything written since.
                plan.states.append(exported?.vector ?? VersionVector())
            }
        }
        return plan
    }

    /// The replica does not yet hold every version the file was exported after.
    package struct StateMissing: Error, Sendable, CustomStringConvertible {
        package var state: VersionVector
        package var held: VersionVector

        /// How many versions of the state the replica lacks, and from how many replicas.
        package var description: String {
            let lacking = state.entries.filter { held[$0.replica] < $0.counter }
            let count = lacking.reduce(UInt64(0)) { $0 + $1.counter - held[$1.replica] }
            return "it was exported from a state this replica does not hold yet (\(count) version\(count == 1 ? "" : "s") "
                + "from \(lacking.count) replica\(lacking.count == 1 ? "" : "s") it lacks); run `sync-client sync`, then import again, "
                + "or, where no sync can bring that state (offline, or the exporter never synced), import with --as-own-edits "
                + "to write the file's values as this replica's own edits. Nothing was imported"
        }
    }
}
