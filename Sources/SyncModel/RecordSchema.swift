/// The fields of one record kind. Merging is generic over schemas: a new kind is a schema.
public struct RecordSchema: Sendable, Equatable {
    public var kind: String
    public var fields: [FieldSchema]

    public init(kind: String, fields: [FieldSchema]) {
        self.kind = kind
        self.fields = fields
    }

    /// The pseudo-field whose register says whether the record is deleted.
    public static let deletedField = FieldSchema(deletedFieldName, .register, .bool)
    /// Its name, for the paths that compare it once per change: reading it from
    /// ``deletedField`` copies the whole schema.
    public static let deletedFieldName = "_deleted"

    /// The schema of `name`, including the `_deleted` pseudo-field.
    public func field(_ name: String) -> FieldSchema? {
        if name == Self.deletedFieldName { return Self.deletedField }
        return fields.first { $0.name == name }
    }

    public var fieldNames: [String] { fields.map(\.name) }
}

extension RecordSchema {
    /// Trajectory labels used by cells and by signal directions.
    public static let trajectoryLabels = ["Advancing", "Holding", "Drifting", "Reversing"]

    /// One assessed area of the dashboard (DESIGN §1).
    public static let cell = RecordSchema(kind: "cell", fields: [
        FieldSchema("number", .register, .int),
        FieldSchema("title", .register, .text),
        FieldSchema("tier", .register, .text),
        FieldSchema("trajectory", .register, .label(trajectoryLabels)),
        FieldSchema("trend", .register, .text),
        FieldSchema("lastAssessed", .register, .date),
        FieldSchema("problemStatement", .prose, .text),
        FieldSchema("articulatedGoal", .prose, .text),
        FieldSchema("strategicLogic", .prose, .text),
        FieldSchema("assessment", .prose, .text),
        FieldSchema("crosswinds", .prose, .text),
        FieldSchema("commitments", .set, .strings),
        FieldSchema("keyIndicators", .list, .strings),
        FieldSchema("sources", .list, .strings),
        FieldSchema("relatedCells", .set, .cellRefs),
    ])

    /// A dated event in a cell's backlog (DESIGN §1).
    public static let signal = RecordSchema(kind: "signal", fields: [
        FieldSchema("date", .register, .date),
        FieldSchema("title", .register, .text),
        FieldSchema("direction", .register, .label(trajectoryLabels)),
        FieldSchema("directionNote", .register, .text),
        FieldSchema("source", .register, .text),
        FieldSchema("cells", .set, .cellRefs),
        FieldSchema("body", .prose, .text),
    ])
}
