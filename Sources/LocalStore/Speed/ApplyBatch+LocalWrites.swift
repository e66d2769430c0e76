// Speed machinery: a batch of local writes taken field by field, in an order the caches like.
import SyncModel
import SyncProtocol
import GRDB

extension ApplyBatch {
    /// Stores a replica's batch of local writes as consecutive versions of `replica`, the n-th
    /// change at the n-th counter after the replica's last, each version's context its field's
    /// vector just before it (so that it supersedes every head of the field known here,
    /// including the batch's own earlier writes of it). What it stores is exactly what writing
    /// the changes one by one would, and a failure is the one that would stop them, at the same
    /// change: the first in the batch's order whose record is of another kind. No change may
    /// delete a record (a delete's context joins every field of its record as it is at that
    /// point; ``Replica/write(_:at:)`` takes those one by one).
    ///
    /// The writes are taken field by field, in the order of record and field, rather than in
    /// the batch's order: each field's state, each record's row and kind are then looked up
    /// once and are still in the processor's caches for the field's next write, where taking
    /// them in the batch's order met them at random. Version rows still go in counter order, the
    /// order their table keeps.
    ///
    /// `values` are the changes' values in canonical form, checked.
    mutating func writeLocal(_ changes: ArraySlice<FieldChange>, values: [FieldValue], replica: ReplicaID, author: String, time: Int64) throws -> [Version] {
        precondition(changes.count == values.count)
        assert(!changes.contains { $0.field == RecordSchema.deletedFieldName }, "a delete's context needs the batch's order")
        guard !changes.isEmpty else { return [] }
        let start = changes.startIndex
        // Field names as small integers, so that ordering the writes compares integers.
        var names: [String] = []
        var order: [LocalWriteKey] = []
        order.reserveCapacity(changes.count)
        for (offset, change) in changes.enumerated() {
            let name = names.firstIndex(of: change.field) ?? { names.append(change.field); return names.count - 1 }()
            let words = change.record.words
            order.append(LocalWriteKey(high: words.high, low: words.low, field: Int32(name), position: Int32(offset)))
        }
        order.sort()
        try preload(fields: order.indices.lazy
            .filter { $0 == 0 || !order[$0 - 1].sameField(order[$0]) }
            .map { (changes[start + Int(order[$0].position)].record, names[Int(order[$0].field)]) })

        let own = try replicaEntry(replica)
        var versions = [Version?](repeating: nil, count: changes.count)
        var recordRows = [Int64](repeating: 0, count: changes.count)
        var texts = [String](repeating: "", count: changes.count)
        // Each field's new state, in the order taken, written once the versions are in.
        var states: [(key: FieldKey, entry: FieldEntry, recordRow: Int64)] = []
        var touched: [RecordID] = []
        // The first change, in the batch's order, whose record is of another kind.
        var mismatch: (position: Int, error: VersionRefusal)?
        var run = order.startIndex
        while run < order.endIndex {
            let first = order[run]
            let record = changes[start + Int(first.position)].record
            let end = order[run...].firstIndex { !$0.sameRecord(first) } ?? order.endIndex
            // A record the store lacks takes the kind of its first change in the batch.
            let kind: String, recordRow: Int64
            if let known = try recordEntry(record) {
                (kind, recordRow) = (known.kind, known.rowID)
            } else {
                kind = changes[start + Int(order[run..<end].min { $0.position < $1.position }!.position)].kind
                recordRow = try checkKind(record: record, kind: kind)
            }
            touched.append(record)
            // The field of this record whose state `states` ends with.
            var taken: Int32?
            for index in run..<end {
                let key = order[index]
                let position = Int(key.position)
                let change = changes[start + position]
                guard change.kind == kind else {
                    if position < mismatch?.position ?? .max {
                        mismatch = (position, VersionRefusal.kindMismatch(record: record, known: kind, got: change.kind))
                    }
                    continue
                }
                if key.field != taken {
                    taken = key.field
                    let field = FieldKey(record: record, field: change.field)
                    states.append((field, try takeField(field, kind: kind), recordRow))
                }
                let version = Version(
                    dot: Dot(replica: replica, counter: own.counter + UInt64(position) + 1),
                    context: states[states.count - 1].entry.heads.localWriteContext,
                    record: record, kind: kind, field: change.field, value: values[position], author: author, time: time
                )
                let text = StoreCoding.encode(version.value)
                _ = Self.integrate(version, text: text, into: &states[states.count - 1].entry)
                versions[position] = version
                recordRows[position] = recordRow
                texts[position] = text
            }
            run = end
        }
        if let mismatch { throw mismatch.error }

        var stored: [Version] = []
        stored.reserveCapacity(changes.count)
        for position in versions.indices {
            // Moved out, not copied: each is held once more only by the array returned.
            let version = versions[position].take()!
            try appendVersion(VersionRowInsert(
                replica: own.rowID, counter: Int64(version.dot.counter), record: recordRows[position], kind: version.kind,
                field: version.field, context: try clockBlob(version.context), value: texts[position],
                author: author, time: time
            ))
            stored.append(version)
        }
        replicas[replica]?.counter = own.counter + UInt64(changes.count)
        replicas[replica]?.dirty = true
        report.new += changes.count
        try flushRows()
        let upsert = try db.cachedStatement(sql: Self.fieldUpsertSQL)
        for state in states {
            try writeField(state.key, state.entry, recordRow: state.recordRow, upsert)
        }
        for record in touched {
            try settleDeletion(of: record)
        }
        return stored
    }
}

/// A local write's place in ``ApplyBatch/writeLocal(_:values:replica:author:time:)``'s order:
/// by record (its id's two words), then field, then the batch's order; all integers, so that
/// ordering a batch compares no ids or strings.
struct LocalWriteKey: Comparable {
    var high: UInt64
    var low: UInt64
    /// The field's index among the batch's field names.
    var field: Int32
    /// The change's offset in the batch.
    var position: Int32

    static func < (lhs: LocalWriteKey, rhs: LocalWriteKey) -> Bool {
        (lhs.high, lhs.low, lhs.field, lhs.position) < (rhs.high, rhs.low, rhs.field, rhs.position)
    }

    func sameRecord(_ other: LocalWriteKey) -> Bool { high == other.high && low == other.low }
    func sameField(_ other: LocalWriteKey) -> Bool { sameRecord(other) && field == other.field }
}
