/// An open conflict on one field: the heads that could not be merged, and their common ancestor.
public struct Conflict: Sendable, Hashable {
    public var id: ConflictID
    public var record: RecordID
    public var kind: String
    public var field: String
    /// Every head, in dot order.
    public var heads: [Version]
    /// The greatest version every head had seen, if any.
    public var base: Version?
    /// The value shown until someone resolves it.
    public var provisional: FieldValue

    public init(id: ConflictID, record: RecordID, kind: String, field: String, heads: [Version], base: Version?, provisional: FieldValue) {
        self.id = id
        self.record = record
        self.kind = kind
        self.field = field
        self.heads = heads
        self.base = base
        self.provisional = provisional
    }
}

extension Conflict {
    /// Whether this is two or more live cells sharing a number, rather than one field's heads:
    /// settled by renumbering or deleting a cell, not by choosing a head.
    public var isSharedNumber: Bool {
        field == "number" && Set(heads.map(\.record)).count > 1
    }

    /// The cells that share the number, in id order (the conflict's record alone otherwise).
    public var records: [RecordID] {
        Array(Set(heads.map(\.record) + [record])).sorted()
    }
}
