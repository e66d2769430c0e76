import Foundation
import SyncModel
import Testing
import TestSupport

@Suite struct VersionVectorTests {
    static let pool = (0..<5).map { index in ReplicaID("00000000-0000-4000-8000-00000000000\(index)")! }

    static func randomVector(_ random: inout SplitMix64) -> VersionVector {
        var vector = VersionVector()
        for replica in pool where Bool.random(using: &random) {
            vector[replica] = UInt64.random(in: 0...6, using: &random)
        }
        return vector
    }

    @Test("merge is commutative, associative and idempotent, and the result covers both sides", arguments: testSeeds(count: 250, base: 1_000))
    func mergeLaws(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let a = Self.randomVector(&random), b = Self.randomVector(&random), c = Self.randomVector(&random)
        #expect(a.merging(b) == b.merging(a), "commutative; seed \(seed)")
        #expect(a.merging(b).merging(c) == a.merging(b.merging(c)), "associative; seed \(seed)")
        #expect(a.merging(a) == a, "idempotent; seed \(seed)")
        #expect(a.merging(b).covers(a) && a.merging(b).covers(b), "upper bound; seed \(seed)")
        #expect(a.covers(a.meet(b)) && b.covers(a.meet(b)), "meet is a lower bound; seed \(seed)")
    }

    @Test("compare agrees with covers in both directions", arguments: testSeeds(count: 250, base: 2_000))
    func compareMatchesCovers(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let a = Self.randomVector(&random), b = Self.randomVector(&random)
        let expected: CausalOrder = switch (a.covers(b), b.covers(a)) {
        case (true, true): .equal
        case (true, false): .after
        case (false, true): .before
        case (false, false): .concurrent
        }
        #expect(a.compare(b) == expected, "seed \(seed)")
        #expect(a.compare(b) == .equal ? a == b : a != b, "equal order means equal vectors; seed \(seed)")
    }

    @Test("compare names each causal relation", arguments: [
        ([0: 1], [0: 1], CausalOrder.equal),
        ([0: 1], [0: 2], .before),
        ([0: 2, 1: 1], [0: 2], .after),
        ([0: 1], [1: 1], .concurrent),
        ([:], [:], .equal),
        ([:], [3: 1], .before),
    ])
    func compareTable(left: [Int: UInt64], right: [Int: UInt64], expected: CausalOrder) {
        func vector(_ entries: [Int: UInt64]) -> VersionVector {
            VersionVector(Dictionary(uniqueKeysWithValues: entries.map { (Self.pool[$0.key], $0.value) }))
        }
        #expect(vector(left).compare(vector(right)) == expected)
    }

    /// The vector is a sorted array; a dictionary is the model it must match.
    @Test("every operation agrees with a dictionary of counters", arguments: testSeeds(count: 250, base: 3_000))
    func matchesDictionaryModel(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        func model(_ vector: VersionVector) -> [ReplicaID: UInt64] { vector.counters }
        func randomModel() -> [ReplicaID: UInt64] {
            var counters: [ReplicaID: UInt64] = [:]
            for replica in Self.pool where Bool.random(using: &random) { counters[replica] = UInt64.random(in: 0...6, using: &random) }
            return counters
        }
        let a = randomModel(), b = randomModel()
        let left = VersionVector(a), right = VersionVector(b)
        let nonZero = { (counters: [ReplicaID: UInt64]) in counters.filter { $0.value > 0 } }
        #expect(model(left) == nonZero(a), "built from a dictionary; seed \(seed)")
        #expect(left.entries.map(\.replica) == left.entries.map(\.replica).sorted(), "entries sorted; seed \(seed)")
        var merged = nonZero(a)
        for (replica, counter) in nonZero(b) { merged[replica] = max(merged[replica] ?? 0, counter) }
        #expect(model(left.merging(right)) == merged, "merge; seed \(seed)")
        var met: [ReplicaID: UInt64] = [:]
        for (replica, counter) in nonZero(a) { if let other = b[replica], min(counter, other) > 0 { met[replica] = min(counter, other) } }
        #expect(model(left.meet(right)) == met, "meet; seed \(seed)")
        #expect(left.covers(right) == nonZero(b).allSatisfy { (a[$0.key] ?? 0) >= $0.value }, "covers; seed \(seed)")
        #expect(left.total == nonZero(a).values.reduce(0, +), "total; seed \(seed)")
        // Point updates, in random order: set, add a dot, and read back.
        var vector = left, expected = nonZero(a)
        for _ in 0..<12 {
            let replica = Self.pool[Int.random(in: 0..<Self.pool.count, using: &random)]
            let counter = UInt64.random(in: 0...8, using: &random)
            if Bool.random(using: &random) {
                vector[replica] = counter
                expected[replica] = counter == 0 ? nil : counter
            } else {
                vector.add(Dot(replica: replica, counter: counter))
                if counter > (expected[replica] ?? 0) { expected[replica] = counter }
            }
            #expect(model(vector) == expected, "after updates; seed \(seed)")
            #expect(vector[replica] == expected[replica] ?? 0, "subscript; seed \(seed)")
        }
        let shuffled = nonZero(a).map { VersionVector.Entry(replica: $0.key, counter: $0.value) }.shuffled(using: &random)
        #expect(VersionVector(unsorted: shuffled) == left, "built from unsorted entries; seed \(seed)")
        #expect(VersionVector(distinct: shuffled) == left, "built from distinct entries; seed \(seed)")
    }

    @Test func distinctEntriesRefuseARepeatedReplica() {
        let twice = [VersionVector.Entry(replica: Self.pool[1], counter: 2), .init(replica: Self.pool[0], counter: 1), .init(replica: Self.pool[1], counter: 0)]
        #expect(VersionVector(distinct: twice) == nil)
        #expect(VersionVector(unsorted: twice) == VersionVector([Self.pool[0]: 1, Self.pool[1]: 2]), "unsorted keeps the highest")
    }

    @Test func zeroEntriesAreNotStored() {
        var vector = VersionVector([Self.pool[0]: 0, Self.pool[1]: 3])
        #expect(vector.counters.count == 1)
        vector[Self.pool[1]] = 0
        #expect(vector.isEmpty)
        #expect(vector == VersionVector())
    }

    @Test func coversDotsUpToItsCounter() {
        let vector = VersionVector([Self.pool[0]: 3])
        #expect(vector.covers(Dot(replica: Self.pool[0], counter: 3)))
        #expect(!vector.covers(Dot(replica: Self.pool[0], counter: 4)))
        #expect(!vector.covers(Dot(replica: Self.pool[1], counter: 1)))
    }

    @Test func encodesAsAnObjectOfReplicaCounters() throws {
        let vector = VersionVector([Self.pool[0]: 3])
        let data = try JSONEncoder().encode(vector)
        #expect(String(decoding: data, as: UTF8.self) == #"{"00000000-0000-4000-8000-000000000000":3}"#)
        #expect(try JSONDecoder().decode(VersionVector.self, from: data) == vector)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(VersionVector.self, from: Data(#"{"nope":1}"#.utf8)) }
    }
}
