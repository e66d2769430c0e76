import Foundation
public import SyncModel

/// Generates random but causally valid multi-replica histories with the pure model: replicas
/// write fields of shared records and exchange versions in random pairs. The result is the set
/// of versions a real run would have produced, for checking convergence under any delivery.
public struct HistoryGenerator {
    public var random: SplitMix64
    public let replicas: [ReplicaID]
    public let records: [(id: RecordID, kind: String)]
    private var known: [[Version]]
    private var heads: [[FieldKey: FieldHeads]]
    private var counters: [UInt64]

    struct FieldKey: Hashable { var record: RecordID; var field: String }

    public init(seed: UInt64, replicaCount: Int, recordCount: Int) {
        random = SplitMix64(seed: seed)
        var ids = SplitMix64(seed: seed ^ 0x5EED)
        replicas = (0..<replicaCount).map { _ in ReplicaID(Self.uuid(&ids))! }
        records = (0..<recordCount).map { index in (RecordID(Self.uuid(&ids))!, index % 3 == 2 ? "signal" : "cell") }
        known = Array(repeating: [], count: replicaCount)
        heads = Array(repeating: [:], count: replicaCount)
        counters = Array(repeating: 0, count: replicaCount)
    }

    /// A UUID-shaped id drawn from `generator`.
    public static func uuid(_ generator: inout SplitMix64) -> String {
        let a = generator.next(), b = generator.next()
        let hex = String(format: "%016llx%016llx", a, b)
        let chars = Array(hex)
        return "\(String(chars[0..<8]))-\(String(chars[8..<12]))-4\(String(chars[13..<16]))-8\(String(chars[17..<20]))-\(String(chars[20..<32]))"
    }

    /// Every version written so far, by any replica.
    public var allVersions: [Version] {
        var seen: Set<Dot> = []
        var result: [Version] = []
        for versions in known {
            for version in versions where seen.insert(version.dot).inserted { result.append(version) }
        }
        return result.sorted { $0.dot < $1.dot }
    }

    /// Runs `steps` random operations: mostly writes, sometimes a pairwise exchange.
    public mutating func run(steps: Int) {
        for _ in 0..<steps {
            if Int.random(in: 0..<4, using: &random) == 0 && replicas.count > 1 {
                let a = Int.random(in: 0..<replicas.count, using: &random)
                var b = Int.random(in: 0..<replicas.count - 1, using: &random)
                if b >= a { b += 1 }
                exchange(from: a, to: b)
            } else {
                write(on: Int.random(in: 0..<replicas.count, using: &random))
            }
        }
    }

    /// One replica writes a random value to a random field of a random record.
    public mutating func write(on index: Int) {
        let record = records[Int.random(in: 0..<records.count, using: &random)]
        let schema = SchemaRegistry.standard[record.kind]!
        let field = schema.fields[Int.random(in: 0..<schema.fields.count, using: &random)]
        let key = FieldKey(record: record.id, field: field.name)
        let current = heads[index][key] ?? FieldHeads()
        counters[index] += 1
        let version = Version(
            dot: Dot(replica: replicas[index], counter: counters[index]),
            context: current.fieldVector, record: record.id, kind: record.kind, field: field.name,
            value: randomValue(for: field, current: currentValue(index, key)),
            author: "analyst\(index)", time: Int64(1_700_000_000_000 + Int64(counters[index]) * 1000 + Int64(index))
        )
        integrate(version, into: index)
    }

    /// `to` learns every version `from` knows that it lacks, in per-replica counter order.
    public mutating func exchange(from: Int, to: Int) {
        let have = Set(known[to].map(\.dot))
        for version in known[from].sorted(by: { $0.dot < $1.dot }) where !have.contains(version.dot) {
            integrate(version, into: to)
        }
    }

    private mutating func integrate(_ version: Version, into index: Int) {
        known[index].append(version)
        let key = FieldKey(record: version.record, field: version.field)
        var state = heads[index][key] ?? FieldHeads()
        state.integrate(dot: version.dot, context: version.context)
        heads[index][key] = state
    }

    private func currentValue(_ index: Int, _ key: FieldKey) -> FieldValue? {
        guard let dot = heads[index][key]?.heads.last else { return nil }
        return known[index].first { $0.dot == dot }?.value
    }

    private mutating func randomValue(for field: FieldSchema, current: FieldValue?) -> FieldValue {
        RandomValues.value(for: field, current: current, using: &random)
    }
}
