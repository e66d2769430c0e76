/// The record kinds a store accepts.
public struct SchemaRegistry: Sendable {
    public var schemas: [String: RecordSchema]

    public init(_ schemas: [RecordSchema]) {
        self.schemas = Dictionary(uniqueKeysWithValues: schemas.map { ($0.kind, $0) })
    }

    /// Cells and signals.
    public static let standard = SchemaRegistry([.cell, .signal])

    public subscript(kind: String) -> RecordSchema? { schemas[kind] }

    public var kinds: [String] { schemas.keys.sorted() }
}
