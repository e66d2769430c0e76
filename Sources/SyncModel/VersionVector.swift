/// A map from replica to the highest counter seen from it: the set of dots `(r, 1...n)`.
///
/// Absent entries mean zero. The vector never stores zero entries, so two vectors that cover
/// the same dots are equal.
///
/// Held as an array of entries sorted by replica: a field's vector names a few writers, and
/// every version carries one, so lookups compare two words each instead of hashing an id, and
/// merging, meeting and covering are one walk over both arrays.
public struct VersionVector: Hashable, Sendable {
    /// One replica's counter (never zero in a vector).
    public struct Entry: Hashable, Sendable {
        public var replica: ReplicaID
        public var counter: UInt64

        public init(replica: ReplicaID, counter: UInt64) {
            self.replica = replica
            self.counter = counter
        }
    }

    /// The non-zero entries, sorted by replica, each replica once.
    public private(set) var entries: [Entry]

    public init() { entries = [] }

    public init(_ counters: [ReplicaID: UInt64]) {
        self.init(unsorted: counters.map { Entry(replica: $0.key, counter: $0.value) })
    }

    /// A vector of `entries` in any order; zero counters are dropped, and a replica named twice
    /// keeps its highest counter. Sorts once, however many entries (a decoder's path), in the
    /// array it is given (consumed, so a caller's last use hands it over without a copy).
    public init(unsorted entries: consuming [Entry]) {
        var sorted = entries
        sorted.removeAll { $0.counter == 0 }
        if sorted.count > 1 {
            sorted.sort { $0.replica < $1.replica }
            var kept = 0
            for index in 1..<sorted.count {
                if sorted[index].replica == sorted[kept].replica {
                    sorted[kept].counter = max(sorted[kept].counter, sorted[index].counter)
                } else {
                    kept += 1
                    sorted[kept] = sorted[index]
                }
            }
            sorted.removeLast(sorted.count - kept - 1)
        }
        self.entries = sorted
    }

    /// A vector of `entries` in any order, each replica at most once (zero counters are
    /// dropped); nil if a replica is named twice.
    public init?(distinct entries: [Entry]) {
        let sorted = entries.sorted { $0.replica < $1.replica }
        for index in sorted.indices.dropFirst() where sorted[index - 1].replica == sorted[index].replica { return nil }
        self.entries = sorted.filter { $0.counter > 0 }
    }

    /// The counters as a dictionary.
    public var counters: [ReplicaID: UInt64] {
        Dictionary(uniqueKeysWithValues: entries.lazy.map { ($0.replica, $0.counter) })
    }

    /// How many replicas have a non-zero counter.
    public var count: Int { entries.count }

    /// Where `replica`'s entry is, or would be inserted to keep the order.
    private func position(of replica: ReplicaID) -> (index: Int, found: Bool) {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            let here = entries[middle].replica
            if here == replica { return (middle, true) }
            if here < replica { low = middle + 1 } else { high = middle }
        }
        return (low, false)
    }

    /// The highest counter seen from `replica`, zero if none.
    public subscript(replica: ReplicaID) -> UInt64 {
        get {
            let (index, found) = position(of: replica)
            return found ? entries[index].counter : 0
        }
        set {
            let (index, found) = position(of: replica)
            switch (found, newValue == 0) {
            case (true, true): entries.remove(at: index)
            case (true, false): entries[index].counter = newValue
            case (false, false): entries.insert(Entry(replica: replica, counter: newValue), at: index)
            case (false, true): break
            }
        }
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// Replicas in canonical (sorted) order.
    public var replicas: [ReplicaID] { entries.map(\.replica) }

    /// Whether the write `dot` is in this vector.
    public func covers(_ dot: Dot) -> Bool { self[dot.replica] >= dot.counter }

    /// Whether every dot of `other` is in this vector.
    public func covers(_ other: VersionVector) -> Bool {
        guard other.entries.count <= entries.count else { return false }
        var index = 0
        for theirs in other.entries {
            while index < entries.count && entries[index].replica < theirs.replica { index += 1 }
            guard index < entries.count, entries[index].replica == theirs.replica, entries[index].counter >= theirs.counter else { return false }
            index += 1
        }
        return true
    }

    /// Adds `dot` and everything before it from the same replica.
    public mutating func add(_ dot: Dot) {
        let (index, found) = position(of: dot.replica)
        if found {
            if entries[index].counter < dot.counter { entries[index].counter = dot.counter }
        } else if dot.counter > 0 {
            entries.insert(Entry(replica: dot.replica, counter: dot.counter), at: index)
        }
    }

    /// The pointwise maximum (least upper bound).
    public func merging(_ other: VersionVector) -> VersionVector {
        var result = self
        result.merge(other)
        return result
    }

    public mutating func merge(_ other: VersionVector) {
        if other.entries.isEmpty { return }
        if entries.isEmpty {
            entries = other.entries
            return
        }
        // Usually every replica of `other` is here already: counters are raised in place.
        var index = 0
        for theirs in other.entries {
            while index < entries.count && entries[index].replica < theirs.replica { index += 1 }
            guard index < entries.count, entries[index].replica == theirs.replica else { return mergeAdding(other) }
            if entries[index].counter < theirs.counter { entries[index].counter = theirs.counter }
            index += 1
        }
    }

    /// `merge(_:)` when `other` names replicas this vector lacks: one walk over both.
    private mutating func mergeAdding(_ other: VersionVector) {
        var merged: [Entry] = []
        merged.reserveCapacity(entries.count + other.entries.count)
        var mine = 0, theirs = 0
        while mine < entries.count || theirs < other.entries.count {
            if theirs == other.entries.count || (mine < entries.count && entries[mine].replica < other.entries[theirs].replica) {
                merged.append(entries[mine])
                mine += 1
            } else if mine == entries.count || other.entries[theirs].replica < entries[mine].replica {
                merged.append(other.entries[theirs])
                theirs += 1
            } else {
                merged.append(Entry(replica: entries[mine].replica, counter: max(entries[mine].counter, other.entries[theirs].counter)))
                mine += 1
                theirs += 1
            }
        }
        entries = merged
    }

    /// The pointwise minimum (greatest lower bound).
    public func meet(_ other: VersionVector) -> VersionVector {
        var result = VersionVector()
        var theirs = 0
        for entry in entries {
            while theirs < other.entries.count && other.entries[theirs].replica < entry.replica { theirs += 1 }
            guard theirs < other.entries.count else { break }
            if other.entries[theirs].replica == entry.replica {
                result.entries.append(Entry(replica: entry.replica, counter: min(entry.counter, other.entries[theirs].counter)))
            }
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
    public var total: UInt64 { entries.reduce(0) { $0 + $1.counter } }
}

/// The causal relation between two version vectors.
public enum CausalOrder: String, Sendable {
    case equal, before, after, concurrent
}

extension VersionVector: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode([String: UInt64].self)
        var entries: [Entry] = []
        entries.reserveCapacity(raw.count)
        for (key, value) in raw {
            guard let replica = ReplicaID(key) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "version vector key '\(key.prefix(40))' is not a replica id")
            }
            entries.append(Entry(replica: replica, counter: value))
        }
        self.init(unsorted: entries)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: entries.map { ($0.replica.rawValue, $0.counter) }))
    }
}

extension VersionVector: CustomStringConvertible {
    /// `[abcd1234:3, ef567890:7]` in replica order.
    public var description: String {
        "[" + entries.map { "\($0.replica.short):\($0.counter)" }.joined(separator: ", ") + "]"
    }
}
