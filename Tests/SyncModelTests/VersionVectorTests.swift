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
