package import LocalStore
package import SyncModel

/// How a person resolves a conflict, from `sync-client resolve` or the web page: the same
/// choices, the same refusals, the same write.
package enum ConflictChoice: Sendable, Equatable {
    /// The value written on this replica.
    case mine
    /// The value written elsewhere.
    case theirs
    /// A new value, as typed.
    case value(String)
    /// A text edited from the one with conflict markers: refused while markers remain.
    case edited(String)
    /// Keep a record deleted on one side and edited on the other.
    case keep
    /// Delete such a record.
    case delete

    /// Writes the value that resolves `conflict` (a write that supersedes every head; it syncs
    /// like any write). Throws a sentence, writing nothing, when the choice does not fit.
    package func resolve(_ conflict: Conflict, on replica: Replica, words: Words) throws {
        let value = try self.value(for: conflict, ownReplicas: try replica.ownReplicas(), words: words)
        try replica.write([FieldChange(record: conflict.record, kind: conflict.kind, field: conflict.field, value: value)], at: WallClock.now())
    }

    /// The value this choice gives `conflict`, with `own` the replica ids this file has written as.
    package func value(for conflict: Conflict, ownReplicas own: Set<ReplicaID>, words w: Words) throws -> FieldValue {
        if conflict.isSharedNumber {
            let first = conflict.records[0].short
            throw ClientError("conflict \(conflict.id) is \(conflict.records.count) cells sharing the number \(conflict.provisional.int.map(String.init) ?? "?"); "
                + "settle it by renumbering one (sync-client cell set \(first) number N) or deleting one (sync-client cell delete \(first))")
        }
        let isDeletion = conflict.field == RecordSchema.deletedFieldName
        switch self {
        case .keep, .delete:
            guard isDeletion else { throw ClientError("\(w.keep) and \(w.delete) resolve a deleted-while-edited record; this conflict is on '\(conflict.field)'") }
            return .bool(self == .delete)
        case .mine, .theirs:
            let mine = self == .mine
            if isDeletion {
                return .bool(try agreed(conflict, own: own, mine: mine, { $0.field == RecordSchema.deletedFieldName },
                    none: (mine ? "no side of this conflict was written on this replica" : "every side of this conflict was written on this replica")
                        + "; resolve it with \(w.keep) or \(w.delete)",
                    disagree: "the heads written \(mine ? "here" : "elsewhere") both delete and edit the record; resolve it with \(w.keep) or \(w.delete)"))
            }
            return try agreed(conflict, own: own, mine: mine, \.value,
                none: mine ? "no head of this conflict was written on this replica; use \(w.theirs) or \(w.value)"
                           : "every head of this conflict was written on this replica; use \(w.mine) or \(w.value)",
                disagree: "the heads written \(mine ? "here" : "elsewhere") disagree; pick with \(w.value) (see `sync-client conflicts show \(conflict.id)`)")
        case .value(let text), .edited(let text):
            guard !isDeletion else { throw ClientError("this record was deleted on one side and edited on the other: resolve it with \(w.keep) or \(w.delete)") }
            if case .edited = self, ConflictMarkers.remain(in: text) {
                throw ClientError("conflict markers (<<<<<<<, |||||||, =======, >>>>>>>) remain in the text; nothing was saved. \(w.editAgain(conflict.id))")
            }
            return try ValueParser.parse(text, kind: conflict.kind, field: conflict.field)
        }
    }

    /// How refusals name the choices: the command's flags, or the page's buttons.
    package struct Words: Sendable {
        package var mine, theirs, value, keep, delete: String
        package var editAgain: @Sendable (ConflictID) -> String

        package static let flags = Words(mine: "--mine", theirs: "--theirs", value: "--value", keep: "--keep", delete: "--delete") {
            "Run `sync-client resolve \($0) --edit` again and remove them."
        }
        package static let buttons = Words(mine: "Keep mine", theirs: "Keep theirs", value: "a new value", keep: "Keep the record", delete: "Delete the record") { _ in
            "Remove them and save again."
        }
    }

    /// The text a person edits to resolve `conflict`: the base and every head between diff3-style markers.
    package static func markedText(_ conflict: Conflict) -> String {
        ConflictMarkers.lines(
            base: TextOutput.editableLines(conflict.base?.value ?? .null),
            heads: conflict.heads.map { ("\($0.author) (replica \($0.dot.replica.short))", TextOutput.editableLines($0.value)) }
        ).joined(separator: "\n") + "\n"
    }

    /// What the heads of one side (written on this replica, or elsewhere) agree on, by `what`.
    private func agreed<Value: Hashable>(_ conflict: Conflict, own: Set<ReplicaID>, mine: Bool, _ what: (Version) -> Value,
                                         none: String, disagree: String) throws -> Value {
        let values = Set(conflict.heads.filter { own.contains($0.dot.replica) == mine }.map(what))
        guard let first = values.first else { throw ClientError(none) }
        guard values.count == 1 else { throw ClientError(disagree) }
        return first
    }
}
