/// A field as it stood at a causal state: the versions of it that state covers, merged as a
/// replica holding exactly those would merge them. A pure function of the versions, as merges are.
public struct FieldAsOf: Sendable, Hashable {
    /// The value shown at that state (the provisional one, if its heads were in conflict).
    public var value: FieldValue
    /// Every dot of the field that state covered: a write based on this state takes it as its
    /// context, superseding exactly what the state held.
    public var vector: VersionVector

    public init(value: FieldValue, vector: VersionVector) {
        self.value = value
        self.vector = vector
    }

    /// The field `schema` of `record` at `state`, from `versions` (any of the field's versions,
    /// in any order); nil when the state covered none of them.
    public static func at(_ state: VersionVector, record: RecordID, field schema: FieldSchema, versions: [Version]) -> FieldAsOf? {
        let held = versions.filter { state.covers($0.dot) }
        guard !held.isEmpty else { return nil }
        var vector = VersionVector()
        for version in held {
            vector.merge(version.context)
            vector.add(version.dot)
        }
        let heads = held.filter { version in !held.contains { $0.dot != version.dot && $0.supersedes(version) } }
        var base: Version?
        if FieldMerge.needsBase(schema, heads: heads) {
            let common = FieldHeads.commonContext(of: heads)
            base = FieldMerge.greatestAncestor(held.filter { common.covers($0.dot) })
        }
        return FieldAsOf(value: FieldMerge.merge(record: record, field: schema, heads: heads, base: base).value, vector: vector)
    }
}
