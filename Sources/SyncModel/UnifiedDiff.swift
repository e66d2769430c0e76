/// A unified diff (as `diff -u` prints it) between two sequences of lines.
public enum UnifiedDiff {
    enum Operation: Equatable {
        case same(String), removed(String), added(String)
    }

    /// The diff from `base` to `other`, or an empty string when they are equal.
    public static func render(from base: [String], to other: [String], fromLabel: String, toLabel: String, context: Int = 3) -> String {
        let operations = script(base, other)
        let changed = operations.indices.filter { if case .same = operations[$0] { false } else { true } }
        guard !changed.isEmpty else { return "" }
        // Group changes whose context windows touch into hunks.
        var hunks: [ClosedRange<Int>] = []
        for index in changed {
            let window = max(0, index - context)...min(operations.count - 1, index + context)
            if let last = hunks.last, window.lowerBound <= last.upperBound + 1 {
                hunks[hunks.count - 1] = last.lowerBound...window.upperBound
            } else {
                hunks.append(window)
            }
        }
        var lines = ["--- \(fromLabel)", "+++ \(toLabel)"]
        for hunk in hunks {
            let before = operations[..<hunk.lowerBound]
            let oldStart = before.filter { if case .added = $0 { false } else { true } }.count
            let newStart = before.filter { if case .removed = $0 { false } else { true } }.count
            let body = operations[hunk]
            let oldCount = body.filter { if case .added = $0 { false } else { true } }.count
            let newCount = body.filter { if case .removed = $0 { false } else { true } }.count
            lines.append("@@ -\(oldStart + (oldCount > 0 ? 1 : 0)),\(oldCount) +\(newStart + (newCount > 0 ? 1 : 0)),\(newCount) @@")
            for operation in body {
                switch operation {
                case .same(let line): lines.append(" " + line)
                case .removed(let line): lines.append("-" + line)
                case .added(let line): lines.append("+" + line)
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func script(_ base: [String], _ other: [String]) -> [Operation] {
        let matches = LCS.matches(base, other)
        var operations: [Operation] = []
        var i = 0, j = 0
        while i < base.count || j < other.count {
            if i < base.count, let match = matches[i], match == j {
                operations.append(.same(base[i])); i += 1; j += 1
            } else if i < base.count, matches[i] == nil {
                operations.append(.removed(base[i])); i += 1
            } else {
                operations.append(.added(other[j])); j += 1
            }
        }
        return operations
    }
}

/// Text with diff3-style conflict markers, for resolving a conflict in an editor.
public enum ConflictMarkers {
    public static let prefixes = ["<<<<<<<", "|||||||", "=======", ">>>>>>>"]

    /// Two heads: merged where they agree, marked where they overlap. More heads: each whole.
    public static func lines(base: [String], heads: [(label: String, lines: [String])]) -> [String] {
        if heads.count == 2 {
            var result: [String] = []
            for chunk in Diff3.chunks(base: base, ours: heads[0].lines, theirs: heads[1].lines) {
                switch chunk {
                case .stable(let lines), .merged(let lines):
                    result += lines
                case .conflict(let baseSide, let ours, let theirs):
                    result += ["<<<<<<< \(heads[0].label)"] + ours + ["||||||| base"] + baseSide
                        + ["======="] + theirs + [">>>>>>> \(heads[1].label)"]
                }
            }
            return result
        }
        var result = ["<<<<<<< \(heads.first?.label ?? "")"] + (heads.first?.lines ?? []) + ["||||||| base"] + base
        for head in heads.dropFirst() { result += ["======= \(head.label)"] + head.lines }
        return result + [">>>>>>> end"]
    }

    /// Whether any line still starts with a conflict marker.
    public static func remain(in text: String) -> Bool {
        text.split(separator: "\n", omittingEmptySubsequences: false).contains { line in
            prefixes.contains { line.hasPrefix($0) }
        }
    }
}
