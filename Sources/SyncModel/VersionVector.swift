/// A map from replica to the highest counter seen from it: the set of dots `(r, 1...n)`.
///
/// Absent entries mean zero. The vector never stores zero entries, so two vectors that cover
/// the same dots are equal.
public struct VersionVector: Hashable, Sendable {
    public private(set) var counters: [ReplicaID: UInt64]

    public init() { counters = [:] }

    public init(_ counters: [ReplicaID: UInt64]) {
        self.counters = counters.filter { $0.value > 0 }
    }

    /// The highest counter seen from `replica`, zero if none.
    public subscript(replica: ReplicaID) -> UInt64 {
        get { counters[replica] ?? 0 }
        set { counters[replica] = newValue == 0 ? nil : newValue }
    }

    public var isEmpty: Bool { counters.isEmpty }

    /// Replicas in canonical (sorted) order.
    public var replicas: [ReplicaID] { counters.keys.sorted() }

    /// Whether the write `dot` is in this vector.
    public func covers(_ dot: Dot) -> Bool { self[dot.replica] >= dot.counter }

    /// Whether every dot of `other` is in this vector.
    public func covers(_ other: VersionVector) -> Bool {
        other.counters.allSatisfy { self[$0.key] >= $0.value }
    }

    /// Adds `dot` and everything before it from the same replica.
    public mutating func add(_ dot: Dot) {
        if self[dot.replica] < dot.counter { self[dot.replica] = dot.counter }
    }

    /// The pointwise maximum (least upper bound).
    public func merging(_ other: VersionVector) -> VersionVector {
        var result = self
        result.merge(other)
        return result
    }

    public mutating func merge(_ other: VersionVector) {
        for (replica, counter) in other.counters where self[replica] < counter {
            counters[replica] = counter
        }
    }

    /// The pointwise minimum (greatest lower bound).
    public func meet(_ other: VersionVector) -> VersionVector {
        var result = VersionVector()
        for (replica, counter) in counters {
            result[replica] = min(counter, other[replica])
        }
        return result
    }

    /// How two vectors relate causally.
    public func compare(_ other: VersionVector) -> CausalOrder {
        switch (covers(other), other.covers(self)) {
        case (true, true): return .equal
        case (true, false): return .after
        case (false, true): return .before
        case (false, false): return .concurrent
        }
    }

    /// The total number of dots covered.
    public var total: UInt64 { counters.values.reduce(0, +) }
}

/// The causal relation between two version vectors.
public enum CausalOrder: String, Sendable {
    case equal, before, after, concurrent
}

extension VersionVector: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode([String: UInt64].self)
        var counters: [ReplicaID: UInt64] = [:]
        counters.reserveCapacity(raw.count)
        for (key, value) in raw {
            guard let replica = ReplicaID(key) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "version vector key '\(key.prefix(40))' is not a replica id")
            }
            counters[replica] = value
        }
        self.init(counters)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: counters.map { ($0.key.rawValue, $0.value) }))
    }
}

extension VersionVector: CustomStringConvertible {
    /// `[abcd1234:3, ef567890:7]` in replica order.
    public var description: String {
        "[" + replicas.map { "\($0.short):\(self[$0])" }.joined(separator: ", ") + "]"
    }
}
