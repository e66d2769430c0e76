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
        #expect(UnifiedDiff.render(from: ["a"], to: ["a"], fromLabel: "x", toLabel: "y").isEmpty)
    }

    @Test func markersKeepAgreeingLinesAndMarkOverlaps() {
        let lines = ConflictMarkers.lines(base: ["one", "two", "three"], heads: [("alice", ["one", "TWO", "three"]), ("bob", ["one", "2", "three"])])
        #expect(lines == ["one", "<<<<<<< alice", "TWO", "||||||| base", "two", "=======", "2", ">>>>>>> bob", "three"])
        #expect(ConflictMarkers.remain(in: lines.joined(separator: "\n")))
        #expect(!ConflictMarkers.remain(in: "one\nTWO and 2\nthree"))
    }
}
