import SyncModel
import Testing

@Suite struct FieldMergeTests {
    static let alice = ReplicaID("00000000-0000-4000-8000-00000000000a")!
    static let bob = ReplicaID("00000000-0000-4000-8000-00000000000b")!
    static let record = RecordID("11111111-1111-4111-8111-111111111111")!

    static func version(_ replica: ReplicaID, _ counter: UInt64, _ value: FieldValue, field: String = "title", time: Int64 = 0, context: VersionVector = VersionVector()) -> Version {
        Version(dot: Dot(replica: replica, counter: counter), context: context, record: record, kind: "cell",
                field: field, value: value, author: replica == alice ? "alice" : "bob", time: time)
    }

    static func field(_ name: String) -> FieldSchema { RecordSchema.cell.field(name)! }

    @Test func equalRegisterValuesCollapse() {
        let merged = FieldMerge.merge(record: Self.record, field: Self.field("title"),
                                      heads: [Self.version(Self.alice, 2, .text("Same")), Self.version(Self.bob, 1, .text("Same"))], base: nil)
        #expect(merged == MergedField(value: .text("Same"), conflict: nil))
    }

    @Test func differentRegisterValuesConflictWithADeterministicProvisionalValue() {
        let a = Self.version(Self.alice, 2, .text("A"), time: 5), b = Self.version(Self.bob, 1, .text("B"), time: 9)
        let merged = FieldMerge.merge(record: Self.record, field: Self.field("title"), heads: [a, b], base: nil)
        let reversed = FieldMerge.merge(record: Self.record, field: Self.field("title"), heads: [b, a], base: nil)
        #expect(merged == reversed)
        #expect(merged.value == .text("B"), "the later wall-clock time is shown while open")
        #expect(merged.conflict == ConflictID(record: Self.record, field: "title", heads: [b.dot, a.dot]))
    }

    @Test func conflictIDDependsOnRecordFieldAndHeadsOnly() {
        let dots = [Dot(replica: Self.alice, counter: 1), Dot(replica: Self.bob, counter: 4)]
        let id = ConflictID(record: Self.record, field: "title", heads: dots)
        #expect(id == ConflictID(record: Self.record, field: "title", heads: dots.reversed()))
        #expect(id != ConflictID(record: Self.record, field: "tier", heads: dots))
        #expect(id != ConflictID(record: Self.record, field: "title", heads: [dots[0]]))
        #expect(id.rawValue.count == 16)
    }

    @Test("set merge keeps adds from both sides and removals from either", arguments: [
        (["a", "b", "c"], ["a", "b", "c", "d"], ["a", "c", "e"], ["a", "c", "d", "e"]),
        ([], ["x"], ["y"], ["x", "y"]),
        (["a"], [], ["a"], []),
        (["a", "b"], ["a", "b", "z"], ["a", "b", "z"], ["a", "b", "z"]),
    ])
    func setMerge(base: [String], ours: [String], theirs: [String], expected: [String]) {
        let merged = FieldMerge.merge(
            record: Self.record, field: Self.field("commitments"),
            heads: [Self.version(Self.alice, 2, .list(ours), field: "commitments"), Self.version(Self.bob, 2, .list(theirs), field: "commitments")],
            base: Self.version(Self.alice, 1, .list(base), field: "commitments"))
        #expect(merged == MergedField(value: .list(expected), conflict: nil))
    }

    @Test func cellReferenceSetsStayInNumericOrder() {
        let merged = FieldMerge.merge(
            record: Self.record, field: Self.field("relatedCells"),
            heads: [Self.version(Self.alice, 2, .list(["2", "10"]), field: "relatedCells"), Self.version(Self.bob, 2, .list(["9"]), field: "relatedCells")],
            base: nil)
        #expect(merged.value == .list(["2", "9", "10"]))
    }

    @Test("prose merges non-overlapping paragraph edits and conflicts on overlapping ones", arguments: [
        ("one\n\ntwo\n\nthree", "ONE\n\ntwo\n\nthree", "one\n\ntwo\n\nTHREE", "ONE\n\ntwo\n\nTHREE" as String?),
        ("one\n\ntwo\n\nthree", "one\n\nTWO by alice\n\nthree", "one\n\nTWO by bob\n\nthree", nil),
        ("one\n\ntwo", "one\n\ntwo\n\nadded", "zero\n\none\n\ntwo", "zero\n\none\n\ntwo\n\nadded"),
        ("one\n\ntwo", "one", "one\n\ntwo", "one"),
    ])
    func proseMerge(base: String, ours: String, theirs: String, expected: String?) {
        let heads = [Self.version(Self.alice, 2, .text(ours), field: "assessment"), Self.version(Self.bob, 2, .text(theirs), field: "assessment")]
        let merged = FieldMerge.merge(record: Self.record, field: Self.field("assessment"), heads: heads,
                                      base: Self.version(Self.alice, 1, .text(base), field: "assessment"))
        if let expected {
            #expect(merged == MergedField(value: .text(expected), conflict: nil))
        } else {
            #expect(merged.conflict != nil)
        }
    }

    @Test func greatestAncestorIsTheCandidateNoOtherSupersedes() {
        let first = Self.version(Self.alice, 1, .text("v1"))
        let second = Self.version(Self.bob, 1, .text("v2"), context: VersionVector([Self.alice: 1]))
        #expect(FieldMerge.greatestAncestor([first, second]) == second)
        #expect(FieldMerge.greatestAncestor([second, first]) == second)
        #expect(FieldMerge.greatestAncestor([]) == nil)
    }
}
