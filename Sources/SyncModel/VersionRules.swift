/// Structural checks on a version arriving from elsewhere, before it touches any store.
public enum VersionRules {
    /// Returns the version with its value in canonical form, or throws what is wrong with it.
    public static func validated(_ version: Version, schemas: SchemaRegistry = .standard, maxValueBytes: Int = ValueRules.defaultMaxValueBytes) throws -> Version {
        guard version.dot.counter >= 1, version.dot.counter <= UInt64(Int64.max) else {
            throw ModelError.invalidVersion("counter \(version.dot.counter) of replica \(version.dot.replica) is out of range (1 to \(Int64.max))")
        }
        guard version.context.count <= ValueRules.maxContextEntries else {
            throw ModelError.invalidVersion("version \(version.dot) has \(version.context.count) context entries; at most \(ValueRules.maxContextEntries) are accepted")
        }
        guard version.context.entries.allSatisfy({ $0.counter <= UInt64(Int64.max) }) else {
            throw ModelError.invalidVersion("version \(version.dot) has a context counter beyond \(Int64.max)")
        }
        guard version.context[version.dot.replica] < version.dot.counter else {
            throw ModelError.invalidVersion("version \(version.dot) claims to have seen itself: its context has \(version.dot.replica.short):\(version.context[version.dot.replica])")
        }
        guard !version.author.isEmpty, version.author.utf8.count <= ValueRules.maxNameBytes else {
            throw ModelError.invalidVersion("version \(version.dot) has an author name of \(version.author.utf8.count) bytes; 1 to \(ValueRules.maxNameBytes) are accepted")
        }
        guard !version.author.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ModelError.invalidVersion("version \(version.dot) has control characters in its author name")
        }
        guard let schema = schemas[version.kind] else { throw ModelError.unknownKind(version.kind) }
        guard let field = schema.field(version.field) else {
            throw ModelError.unknownField(kind: version.kind, field: version.field)
        }
        var result = version
        result.value = try ValueRules.canonical(version.value, for: field, maxBytes: maxValueBytes)
        if result.value != version.value {
            throw ModelError.invalidVersion("version \(version.dot) carries '\(field.name)' in a non-canonical form (sets are sorted without duplicates, empty lists are [])")
        }
        return result
    }
}
