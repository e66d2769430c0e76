import SyncModel
import Testing

@Suite struct Diff3Tests {
    @Test("diff3 merges what does not overlap", arguments: [
        (["a", "b", "c"], ["A", "b", "c"], ["a", "b", "C"], ["A", "b", "C"] as [String]?),
        (["a", "b", "c"], ["a", "b", "c"], ["a", "x", "c"], ["a", "x", "c"]),
        (["a", "b", "c"], ["a", "X", "c"], ["a", "Y", "c"], nil),
        (["a", "b", "c"], ["a", "X", "c"], ["a", "X", "c"], ["a", "X", "c"]),
        ([], ["a"], [], ["a"]),
        ([], ["a"], ["b"], nil),
        (["a", "b", "c", "d"], ["a", "c", "d"], ["a", "b", "c", "d", "e"], ["a", "c", "d", "e"]),
    ])
    func merge(base: [String], ours: [String], theirs: [String], expected: [String]?) {
        #expect(Diff3.merge(base: base, ours: ours, theirs: theirs) == expected)
        #expect(Diff3.merge(base: base, ours: theirs, theirs: ours) == expected, "symmetric")
    }

    @Test func conflictChunkKeepsBaseAndBothSides() {
        var budget = DiffBudget()
        let chunks = Diff3.chunks(base: ["a", "b", "c"], ours: ["a", "X", "c"], theirs: ["a", "Y", "c"], budget: &budget)
        #expect(chunks == [.stable(["a"]), .conflict(base: ["b"], ours: ["X"], theirs: ["Y"]), .stable(["c"])] as [Diff3.Chunk<String>])
    }
}
