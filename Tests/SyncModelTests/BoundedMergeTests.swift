import SyncModel
import Testing
import TestSupport
import Foundation

/// Merges at the edges of what an analyst can write: the largest values merge when their edits
/// are few, and become a conflict, with every head kept, when they are too far apart.
@Suite struct BoundedMergeTests {
    static let alice = ReplicaID("00000000-0000-4000-8000-00000000000a")!
    static let record = RecordID("11111111-1111-4111-8111-111111111111")!
    static let assessment = RecordSchema.cell.field("assessment")!
    static let keyIndicators = RecordSchema.cell.field("keyIndicators")!

    /// Lines of one letter each, as many as fit in the value limit with their line breaks.
    static func letters(seed: UInt64, count: Int = (ValueRules.defaultMaxValueBytes + 1) / 2) -> [String] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in String(UnicodeScalar(UInt8(97 + random.next() % 26))) }
    }

    /// `base` and a head per edited copy, each head written by its own replica after seeing the base.
    static func versions(field: FieldSchema, base: FieldValue, heads: [FieldValue]) -> (base: Version, heads: [Version]) {
        let baseDot = Dot(replica: alice, counter: 1)
        let baseVersion = Version(dot: baseDot, context: VersionVector(), record: record, kind: "cell", field: field.name,
                                  value: base, author: "alice", time: 0)
        let heads = heads.enumerated().map { index, value in
            let replica = ReplicaID("00000000-0000-4000-8000-0000000001\(String(format: "%02d", index))")!
            return Version(dot: Dot(replica: replica, counter: 1), context: VersionVector([alice: 1]), record: record, kind: "cell",
                           field: field.name, value: value, author: "analyst \(index)", time: Int64(index))
        }
        return (baseVersion, heads)
    }

    static func prose(_ lines: [String]) -> FieldValue { .text(lines.joined(separator: "\n")) }

    @Test func aFieldAtTheValueLimitOfOneByteLinesEditedInTwoPlacesOnEachSideMergesCleanly() throws {
        let base = Self.letters(seed: 1)
        #expect(try ValueRules.canonical(Self.prose(base), for: Self.assessment) == Self.prose(base), "the base fits the value limit")
        var ours = base, theirs = base, expected = base
        for (line, text) in [(1_000, "1"), (400_000, "2")] { ours[line] = text; expected[line] = text }
        for (line, text) in [(100_000, "3"), (500_000, "4")] { theirs[line] = text; expected[line] = text }
        let (baseVersion, heads) = Self.versions(field: Self.assessment, base: Self.prose(base), heads: [Self.prose(ours), Self.prose(theirs)])
        let merged = FieldMerge.merge(record: Self.record, field: Self.assessment, heads: heads, base: baseVersion)
        #expect(merged.conflict == nil)
        #expect(merged.value == Self.prose(expected))
    }

    @Test func twoUnrelatedTextsAtTheValueLimitAreAConflictThatKeepsBothHeads() {
        let (baseVersion, heads) = Self.versions(field: Self.assessment, base: Self.prose(Self.letters(seed: 2)),
                                                 heads: [Self.prose(Self.letters(seed: 3)), Self.prose(Self.letters(seed: 4))])
        let merged = FieldMerge.merge(record: Self.record, field: Self.assessment, heads: heads, base: baseVersion)
        #expect(merged.conflict == ConflictID(record: Self.record, field: "assessment", heads: heads.map(\.dot)))
        #expect(merged.value == FieldMerge.provisional(heads).value)
        var budget = DiffBudget()
        #expect(FieldMerge.mergeLines(field: Self.assessment, heads: heads, base: baseVersion, budget: &budget) == .beyondBudget)
        // Stopped at the bound, give or take one pass along the texts.
        #expect(budget.isExhausted && -budget.remaining < 4 * Self.letters(seed: 2).count)
    }

    @Test func overlappingEditsAreAConflictWithinTheBudget() {
        let base = (0..<1_000).map { "paragraph \($0)" }
        var ours = base, theirs = base
        ours[500] = "ours"
        theirs[500] = "theirs"
        let (baseVersion, heads) = Self.versions(field: Self.assessment, base: Self.prose(base), heads: [Self.prose(ours), Self.prose(theirs)])
        var budget = DiffBudget()
        #expect(FieldMerge.mergeLines(field: Self.assessment, heads: heads, base: baseVersion, budget: &budget) == .overlapping)
        #expect(!budget.isExhausted)
    }

    @Test func longListsWithScatteredEditsMerge() throws {
        let base = (0..<100_000).map { "indicator \($0)" }
        var ours = base, theirs = base
        ours.remove(at: 70_000)
        ours[10] = "first changed"
        theirs.insert("added", at: 50_000)
        theirs.append("last")
        var expected = base
        expected.append("last")
        expected.remove(at: 70_000)
        expected.insert("added", at: 50_000)
        expected[10] = "first changed"
        let (baseVersion, heads) = Self.versions(field: Self.keyIndicators, base: .list(base), heads: [.list(ours), .list(theirs)])
        let merged = FieldMerge.merge(record: Self.record, field: Self.keyIndicators, heads: heads, base: baseVersion)
        #expect(merged == MergedField(value: .list(expected), conflict: nil))
    }

    @Test func manyHeadsEachEditingTheirOwnPartMergeIntoOne() {
        let base = (0..<50_000).map { "paragraph \($0)" }
        var expected = base
        let edited: [FieldValue] = (0..<8).map { index in
            var lines = base
            lines[index * 6_000 + 3] = "edited by analyst \(index)"
            expected[index * 6_000 + 3] = "edited by analyst \(index)"
            return Self.prose(lines)
        }
        let (baseVersion, heads) = Self.versions(field: Self.assessment, base: Self.prose(base), heads: edited)
        let merged = FieldMerge.merge(record: Self.record, field: Self.assessment, heads: heads, base: baseVersion)
        #expect(merged == MergedField(value: Self.prose(expected), conflict: nil))
    }

    @Test func manyUnrelatedHeadsShareOneBudget() {
        let texts = (10..<16).map { Self.prose(Self.letters(seed: UInt64($0), count: 100_000)) }
        let (baseVersion, heads) = Self.versions(field: Self.assessment, base: Self.prose(Self.letters(seed: 9, count: 100_000)), heads: texts)
        var budget = DiffBudget()
        #expect(FieldMerge.mergeLines(field: Self.assessment, heads: heads, base: baseVersion, budget: &budget) == .beyondBudget)
        #expect(-budget.remaining < 4 * 100_000, "six heads stop at the bound of one merge")
        let merged = FieldMerge.merge(record: Self.record, field: Self.assessment, heads: heads.reversed(), base: baseVersion)
        #expect(merged.conflict == ConflictID(record: Self.record, field: "assessment", heads: heads.map(\.dot)))
    }
}
