@testable import SyncModel
import Testing
import TestSupport

@Suite struct LineMatchingTests {
    /// The reference: the textbook quadratic table, fine for short inputs.
    static func lcsLength(_ a: [Int], _ b: [Int]) -> Int {
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        return table[0][0]
    }

    static func randomSequence(_ random: inout SplitMix64, alphabet: Int) -> [Int] {
        (0..<Int(random.next() % 14)).map { _ in Int(random.next() % UInt64(alphabet)) }
    }

    @Test("matches are a longest common subsequence, checked against the quadratic table", arguments: testSeeds(count: 3_000, base: 0x11C5))
    func matchesAreALongestCommonSubsequence(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let alphabet = 1 + Int(random.next() % 4)
        let a = Self.randomSequence(&random, alphabet: alphabet), b = Self.randomSequence(&random, alphabet: alphabet)
        var budget = DiffBudget()
        let matches = try #require(LineMatching.matches(a, b, budget: &budget), "seed \(seed)")
        #expect(matches.count == a.count, "seed \(seed)")
        var last = -1
        for (i, match) in matches.enumerated() {
            guard let j = match else { continue }
            #expect(j > last && a[i] == b[j], "seed \(seed): \(a) against \(b) matched \(i) with \(j)")
            last = j
        }
        #expect(matches.compactMap { $0 }.count == Self.lcsLength(a, b), "seed \(seed): \(a) against \(b)")
    }

    @Test func aFewEditsInALongSequenceCostStepsInProportionToTheLengthNotItsSquare() throws {
        let base = (0..<200_000).map { "line \($0 % 1_000)" }
        var other = base
        other[40_000] = "changed"
        other.insert("new", at: 150_000)
        var budget = DiffBudget()
        let matches = try #require(LineMatching.matches(base, other, budget: &budget))
        #expect(matches.compactMap { $0 }.count == base.count - 1)
        let spent = DiffBudget.standardSteps - budget.remaining
        #expect(spent < 10 * (base.count + other.count), "spent \(spent) steps")
    }

    @Test func theBudgetRunsOutAtTheSamePointEveryTime() {
        let a = (0..<5_000).map { "a\($0)" }, b = (0..<5_000).map { "b\($0)" }
        var first = DiffBudget(steps: 100_000), second = DiffBudget(steps: 100_000)
        #expect(LineMatching.matches(a, b, budget: &first) == nil)
        #expect(LineMatching.matches(a, b, budget: &second) == nil)
        #expect(first == second && first.isExhausted)
        var enough = DiffBudget(steps: 100_000)
        #expect(LineMatching.matches(Array(a.prefix(50)), Array(b.prefix(50)), budget: &enough) == [Int?](repeating: nil, count: 50))
        #expect(!enough.isExhausted)
    }

    @Test func emptySequencesMatchNothing() {
        var budget = DiffBudget()
        #expect(LineMatching.matches([String](), ["a"], budget: &budget) == [])
        #expect(LineMatching.matches(["a"], [String](), budget: &budget) == [nil])
    }
}
