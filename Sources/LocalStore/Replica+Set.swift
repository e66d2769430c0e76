import GRDB
public import SyncModel

/// What ``Replica/set(_:at:)`` did.
public enum SetOutcome: Sendable, Equatable {
    /// The field already held the value, with no conflict open on it: no version was made.
    case unchanged
    /// A version was written; `closed` is the conflict it settled, if the field had one open.
    case written(Version, closed: ConflictID?)
}

extension Replica {
    /// Sets one field as a person does: a value the field already holds, with no conflict open
    /// on it, makes no version (history holds only real changes, and a repeated value never
    /// turns a colleague's concurrent change into a conflict). Anything else is written as
    /// ``write(_:at:)`` writes it, superseding every head known here, so a write onto a field
    /// in conflict resolves that conflict. The look and the write are one transaction.
    /// `others` are written after it, in the same transaction, when it is written (and only then).
    public func set(_ change: FieldChange, alongside others: [FieldChange] = [], at time: Int64) throws -> SetOutcome {
        let value = try canonical(change)
        return try store.transaction { db in
            let stored = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT f.value, f.conflict FROM record r JOIN field f ON f.record = r.id AND f.name = ? WHERE r.uuid = ?
                """), arguments: [change.field, change.record.rawValue])
            let conflict = (stored?[1] as String?).flatMap(ConflictID.init)
            if let stored, conflict == nil, let text = stored[0] as String?, try StoreCoding.decodeValue(text) == value {
                return .unchanged
            }
            return .written(try writeDirectly([change] + others, at: time, db)[0], closed: conflict)
        }
    }
}
