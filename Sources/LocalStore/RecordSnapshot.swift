public import SyncModel

/// One field as a reader sees it: its merged (or provisional) value and any open conflict.
public struct FieldSnapshot: Sendable, Equatable {
    public var value: FieldValue
    public var conflict: ConflictID?
    public var headCount: Int

    public init(value: FieldValue, conflict: ConflictID?, headCount: Int) {
        self.value = value
        self.conflict = conflict
        self.headCount = headCount
    }
}

/// A record with the current state of each field that was ever written.
public struct RecordSnapshot: Sendable, Equatable {
    public var id: RecordID
    public var kind: String
    public var deleted: Bool
    public var fields: [String: FieldSnapshot]

    public init(id: RecordID, kind: String, deleted: Bool, fields: [String: FieldSnapshot]) {
        self.id = id
        self.kind = kind
        self.deleted = deleted
        self.fields = fields
    }

    /// The field's value, or its empty value if never written.
    public func value(_ field: String) -> FieldValue {
        if let snapshot = fields[field] { return snapshot.value }
        return SchemaRegistry.standard[kind]?.field(field)?.emptyValue ?? .null
    }

    public func text(_ field: String) -> String? { value(field).text }
    public func list(_ field: String) -> [String] { value(field).list ?? [] }

    /// Open conflicts on this record, by field name order.
    public var conflicts: [(field: String, id: ConflictID)] {
        fields.compactMap { name, snapshot in snapshot.conflict.map { (name, $0) } }.sorted { $0.field < $1.field }
    }
}
