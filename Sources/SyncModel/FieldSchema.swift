/// One field of a record kind.
public struct FieldSchema: Sendable, Equatable {
    public var name: String
    public var kind: FieldKind
    public var valueType: ValueType

    public init(_ name: String, _ kind: FieldKind, _ valueType: ValueType) {
        self.name = name
        self.kind = kind
        self.valueType = valueType
    }

    /// The value a field has before anything is written to it.
    public var emptyValue: FieldValue {
        switch kind {
        case .list, .set: .list([])
        case .register, .prose: .null
        }
    }
}
