import SyncModel
import Testing
import TestSupport

@Suite struct ConvergenceTests {
    @Test("the same versions in any order, batching or duplication give identical state", arguments: testSeeds(count: 250, base: 10_000))
    func anyOrderGivesIdenticalState(seed: UInt64) {
        var history = HistoryGenerator(seed: seed, replicaCount: 3 + Int(seed % 3), recordCount: 3)
        history.run(steps: 60)
        let versions = history.allVersions
        var inOrder = ReferenceModel()
        inOrder.integrate(versions)

        var random = SplitMix64(seed: seed ^ 0xFEED)
        var shuffled = versions.shuffled(using: &random)
        shuffled += shuffled.prefix(Int.random(in: 0...versions.count, using: &random))  // duplicates
        var reordered = ReferenceModel()
        var remaining = shuffled[...]
        while !remaining.isEmpty {
            let size = Int.random(in: 1...max(1, remaining.count), using: &random)
            reordered.integrate(Array(remaining.prefix(size)))
            remaining = remaining.dropFirst(size)
        }
        #expect(inOrder.state() == reordered.state(), "seed \(seed): state differs by arrival order")
    }

    @Test("heads are exactly the versions no other version's context covers", arguments: testSeeds(count: 200, base: 20_000))
    func headsAreTheUncoveredVersions(seed: UInt64) {
        var history = HistoryGenerator(seed: seed, replicaCount: 4, recordCount: 2)
        history.run(steps: 50)
        let versions = history.allVersions
        var random = SplitMix64(seed: seed)
        var byField: [String: FieldHeads] = [:]
        for version in versions.shuffled(using: &random) {
            byField[version.record.rawValue + version.field, default: FieldHeads()].integrate(dot: version.dot, context: version.context)
        }
        for (key, state) in byField {
            let fieldVersions = versions.filter { $0.record.rawValue + $0.field == key }
            let expected = fieldVersions.filter { candidate in
                !fieldVersions.contains { $0.dot != candidate.dot && $0.context.covers(candidate.dot) }
            }.map(\.dot).sorted()
            #expect(state.heads == expected, "seed \(seed), field \(key)")
            #expect(state.joined.counters.count <= 4, "context stays one entry per writer; seed \(seed)")
        }
    }
}
