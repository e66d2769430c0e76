import SyncModel
import Testing

@Suite struct UnifiedDiffTests {
    @Test func changesCloseTogetherShareOneHunk() {
        let diff = UnifiedDiff.render(from: ["a", "b", "c", "d"], to: ["a", "B", "c", "d", "e"], fromLabel: "base", toLabel: "head", context: 1)
        #expect(diff == "--- base\n+++ head\n@@ -1,4 +1,5 @@\n a\n-b\n+B\n c\n d\n+e\n")
    }

    @Test func changesFarApartGetTwoHunks() {
        let base = ["a", "b", "c", "d", "e", "f", "g", "h"]
        var other = base
        other[1] = "B"
        other[7] = "H"
        let diff = UnifiedDiff.render(from: base, to: other, fromLabel: "base", toLabel: "head", context: 1)
        #expect(diff == "--- base\n+++ head\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -7,2 +7,2 @@\n g\n-h\n+H\n")
    }

    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.render(from: ["a"], to: ["a"], fromLabel: "x", toLabel: "y") == "")
    }

    @Test func markersKeepAgreeingLinesAndMarkOverlaps() {
        let lines = ConflictMarkers.lines(base: ["one", "two", "three"], heads: [("alice", ["one", "TWO", "three"]), ("bob", ["one", "2", "three"])])
        #expect(lines == ["one", "<<<<<<< alice", "TWO", "||||||| base", "two", "=======", "2", ">>>>>>> bob", "three"])
        #expect(ConflictMarkers.remain(in: lines.joined(separator: "\n")))
        #expect(!ConflictMarkers.remain(in: "one\nTWO and 2\nthree"))
    }

    @Test func textsTooFarApartHaveNoDiffAndKeepEachHeadWholeBetweenMarkers() {
        let base = (0..<400).map { "base \($0)" }, ours = (0..<400).map { "ours \($0)" }, theirs = (0..<400).map { "theirs \($0)" }
        #expect(UnifiedDiff.render(from: base, to: ours, fromLabel: "base", toLabel: "head", budget: DiffBudget(steps: 10_000)) == nil)
        #expect(UnifiedDiff.render(from: base, to: ours, fromLabel: "base", toLabel: "head")?.isEmpty == false)
        let lines = ConflictMarkers.lines(base: base, heads: [("alice", ours), ("bob", theirs)], budget: DiffBudget(steps: 10_000))
        #expect(lines == ["<<<<<<< alice"] + ours + ["||||||| base"] + base + ["======= bob"] + theirs + [">>>>>>> end"])
    }

    @Test func aDiffWithManyHunksNumbersEachFromTheLinesBeforeIt() {
        let base = (0..<60).map { "line \($0)" }
        var other = base
        for index in stride(from: 5, to: 60, by: 10) { other[index] = "changed \(index)" }
        let diff = UnifiedDiff.render(from: base, to: other, fromLabel: "a", toLabel: "b", context: 1) ?? ""
        let headers = diff.split(separator: "\n").filter { $0.hasPrefix("@@") }
        #expect(headers == stride(from: 5, to: 60, by: 10).map { "@@ -\($0),3 +\($0),3 @@" })
    }
}
