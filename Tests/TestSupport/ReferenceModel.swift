public import SyncModel

/// An in-memory reference of the field state a set of versions determines, computed from the
/// pure model alone: the oracle the SQLite store is checked against.
public struct ReferenceModel {
    public private(set) var versions: [Dot: Version] = [:]
    private var heads: [String: FieldHeads] = [:]

    public init() {}

    /// Integrates versions in the given order (duplicates are ignored).
    public mutating func integrate(_ incoming: [Version]) {
        for version in incoming where versions[version.dot] == nil {
            versions[version.dot] = version
            heads[key(version.record, version.field), default: FieldHeads()].integrate(dot: version.dot, context: version.context)
        }
    }

    func key(_ record: RecordID, _ field: String) -> String { record.rawValue + "/" + field }

    /// Every field's heads and merged value, as sorted text lines.
    public func state() -> [String] {
        var lines: [String] = []
        for (key, state) in heads {
            let headVersions = state.heads.map { versions[$0]! }
            let first = headVersions[0]
            let schema = SchemaRegistry.standard[first.kind]!.field(first.field)!
            let base = FieldMerge.needsBase(schema, heads: headVersions) ? ancestor(of: headVersions) : nil
            let merged = FieldMerge.merge(record: first.record, field: schema, heads: headVersions, base: base)
            lines.append("\(key) heads=\(state.heads) value=\(merged.value) conflict=\(merged.conflict?.rawValue ?? "-")")
        }
        return lines.sorted()
    }

    /// The greatest version of the heads' field that every head had seen (scans all versions:
    /// slow, but independent of the store's indexed lookup).
    public func ancestor(of heads: [Version]) -> Version? {
        let common = FieldHeads.commonContext(of: heads)
        let candidates = versions.values.filter {
            $0.record == heads[0].record && $0.field == heads[0].field && common.covers($0.dot)
        }
        let maximal = candidates.filter { candidate in !candidates.contains { $0.dot != candidate.dot && $0.supersedes(candidate) } }
        return maximal.max { $0.dot < $1.dot }
    }
}
