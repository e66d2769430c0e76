public import SyncModel

/// An open conflict as a news mark remembers it: enough to name it once it has closed.
public struct MarkedConflict: Sendable, Hashable {
    public var id: ConflictID
    /// The record it is on (for cells sharing a number, the first of them) and its kind.
    public var record: RecordID
    public var kind: String
    public var field: String

    /// A conflict named by its id, record, kind and field.
    public init(id: ConflictID, record: RecordID, kind: String, field: String) {
        self.id = id
        self.record = record
        self.kind = kind
        self.field = field
    }

    /// What a mark keeps of an open conflict.
    public init(_ conflict: Conflict) {
        self.init(id: conflict.id, record: conflict.record, kind: conflict.kind, field: conflict.field)
    }
}

/// Where the analyst last looked at what arrived (`sync-client news`, the web dashboard's
/// "since your last visit"): the versions the replica held then, as a version vector, and the
/// conflicts open then. What arrived since is every version of another replica the vector
/// does not cover; new and closed conflicts are the difference between the two sets.
public struct NewsMark: Sendable, Equatable {
    /// Every version held at the look: `(r, 1...vector[r])` for each replica.
    public var vector: VersionVector
    /// The conflicts open at the look.
    public var conflicts: [MarkedConflict]
    /// When the look was (milliseconds since 1970): shown, never compared with versions' times.
    public var time: Int64

    /// A look at `time` that saw `vector` and `conflicts`.
    public init(vector: VersionVector, conflicts: [MarkedConflict], time: Int64) {
        self.vector = vector
        self.conflicts = conflicts
        self.time = time
    }
}
