/// A field as it stood at a causal state: the versions of it that state covers, merged as a
/// replica holding exactly those would merge them. A pure function of the versions, as merges are.
public struct FieldAsOf: Sendable, Hashable {
    /// The value shown at that state (the provisional one, if its heads were in conflict).
    public var value: FieldValue
    /// Every dot of the field that state covered: a write based on this state takes it as its
    /// context, superseding exactly what the state held.
    public var vector: VersionVector
    /// The conflict its heads were in then, if any.
    public var conflict: ConflictID?
    /// How many heads it had then.
    public var headCount: Int

    public init(value: FieldValue, vector: VersionVector, conflict: ConflictID? = nil, headCount: Int = 1) {
        self.value = value
        self.vector = vector
        self.conflict = conflict
        self.headCount = headCount
    }

    /// The field `schema` of `record` at `state`, from `versions` (any of the field's versions,
    /// in any order); nil when the state covered none of them.
    public static func at(_ state: VersionVector, record: RecordID, field schema: FieldSchema, versions: [Version]) -> FieldAsOf? {
        of(versions.filter { state.covers($0.dot) }, record: record, field: schema)
    }

    /// The field `schema` of `record` as a replica holding exactly `held` (some of its
    /// versions, in any order) shows it; nil for none.
    public static func of(_ held: [Version], record: RecordID, field schema: FieldSchema) -> FieldAsOf? {
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
        return merged(heads: heads, base: base, vector: vector, record: record, field: schema)
    }

    /// The field whose heads were `heads` (and their common ancestor `base`, where the merge
    /// needs one) and whose versions `vector` covered.
    public static func merged(heads: [Version], base: Version?, vector: VersionVector, record: RecordID, field schema: FieldSchema) -> FieldAsOf {
        let merged = FieldMerge.merge(record: record, field: schema, heads: heads, base: base)
        return FieldAsOf(value: merged.value, vector: vector, conflict: merged.conflict, headCount: heads.count)
    }
}
