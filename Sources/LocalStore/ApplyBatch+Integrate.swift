import GRDB
import SyncModel
import SyncProtocol

/// Integrating versions: checking, storing and folding them into their fields' heads.
extension ApplyBatch {
    /// Adds one version; a duplicate of a held version is counted and ignored.
    /// `checked` says its maker built it from checked parts (a local write), so it is not checked again.
    mutating func integrate(_ incoming: Version, checked: Bool = false) throws {
        try integrate(PreparedVersions.Entry(incoming, schemas: schemas, maxValueBytes: maxValueBytes, checked: checked))
    }

    /// Adds prepared versions in order. Where they carry folded fields (see
    /// ``Store/prepareFoldingFields(_:)``), a field new to the store whose versions are all new
    /// takes its folded state whole; any other field folds its new versions one by one.
    mutating func integrate(_ prepared: PreparedVersions) throws {
        guard !prepared.fields.isEmpty, !defersFields else {
            for entry in prepared.entries { try integrate(entry) }
            return
        }
        var isNew = [Bool](repeating: false, count: prepared.entries.count)
        var allNew = [Bool](repeating: true, count: prepared.fields.count)
        for (index, entry) in prepared.entries.enumerated() {
            isNew[index] = try store(entry)
            if !isNew[index] { allNew[prepared.fieldOf[index]] = false }
        }
        // Each field at its first new version, so that `written` has the order integrating
        // version by version gives.
        var done = [Bool](repeating: false, count: prepared.fields.count)
        for index in prepared.entries.indices where isNew[index] && !done[prepared.fieldOf[index]] {
            let slot = prepared.fieldOf[index]
            done[slot] = true
            let fold = prepared.fields[slot]
            if allNew[slot] && fields[fold.key] == nil && preloaded[fold.key.record]?.contains(fold.key.field) == true {
                // The preload looked for this field and the store has no row of it.
                fields[fold.key] = fold.entry
                written.append(fold.key)
            } else {
                for member in fold.members where isNew[member] { try integrateField(prepared.entries[member]) }
            }
        }
    }

    /// Adds one prepared version (checked, with its stored text forms).
    mutating func integrate(_ prepared: PreparedVersions.Entry) throws {
        if try store(prepared) && !defersFields { try integrateField(prepared) }
    }

    /// Stores one prepared version (its row, its record) without folding it into its field;
    /// returns whether it is new (a duplicate of a held version is counted and ignored).
    ///
    /// Unlike a server's push (``PushSort``), a replica takes a replica's counters with gaps
    /// and fills them later: the server leaves out versions of records its analyst is not
    /// cleared for, and brings them when a clearance is granted.
    mutating func store(_ prepared: PreparedVersions.Entry) throws -> Bool {
        let version = prepared.version
        var replica = try replicaEntry(version.dot.replica)
        if version.dot.counter <= replica.counter, let held = try storedVersion(version.dot, replicaRow: replica.rowID) {
            if held != version { throw VersionRefusal.dotReused(version.dot) }
            report.duplicates += 1
            return false
        }
        let recordRow = try checkKind(record: version.record, kind: version.kind)
        try appendVersion(VersionRowInsert(
            replica: replica.rowID, counter: Int64(version.dot.counter), record: recordRow, kind: version.kind,
            field: version.field, context: try clockBlob(version.context), value: prepared.valueText,
            author: version.author, time: version.time
        ))
        if version.dot.counter > replica.counter {
            replica.counter = version.dot.counter
            replica.dirty = true
        }
        replicas[version.dot.replica] = replica
        report.new += 1
        return true
    }

    /// Folds a stored new version into its field's state.
    mutating func integrateField(_ prepared: PreparedVersions.Entry) throws {
        let version = prepared.version
        let key = FieldKey(record: version.record, field: version.field)
        // Changed in place: a copy taken out of the dictionary would copy the heads and vector on write.
        let slot = try fieldSlot(key, kind: version.kind)
        if Self.integrate(version, text: prepared.valueText, into: &fields.values[slot]) { written.append(key) }
    }

    /// Folds `version`, whose value is stored as `text` when the caller has it, into a field's
    /// state; returns whether this is the batch's first write of it.
    static func integrate(_ version: Version, text: String?, into entry: inout FieldEntry) -> Bool {
        let isHead = entry.heads.integrate(dot: version.dot, context: version.context)
        if !entry.newHeads.isEmpty { entry.newHeads.removeAll { version.context.covers($0.dot) } }
        if isHead {
            entry.newHeads.append(version)
            entry.soleHead = text.map { (version.dot, $0) }
        }
        defer { entry.dirty = true }
        return !entry.dirty
    }

}
