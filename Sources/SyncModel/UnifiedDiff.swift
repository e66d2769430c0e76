/// A unified diff (as `diff -u` prints it) between two sequences of lines.
public enum UnifiedDiff {
    enum Operation: Equatable {
        case same(String), removed(String), added(String)
    }

    /// The diff from `base` to `other`: an empty string when they are equal, nil when matching
    /// their lines needs more steps than `budget` allows (the standard one unless given).
    public static func render(
        from base: [String], to other: [String], fromLabel: String, toLabel: String, context: Int = 3,
        budget: DiffBudget = DiffBudget()
    ) -> String? {
        var budget = budget
        guard let operations = script(base, other, budget: &budget) else { return nil }
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
        // Lines of each side before the current operation, kept as the hunks advance.
        var oldLine = 0, newLine = 0, position = 0
        for hunk in hunks {
            while position < hunk.lowerBound {
                count(operations[position], old: &oldLine, new: &newLine)
                position += 1
            }
            let (oldStart, newStart) = (oldLine, newLine)
            var body: [String] = []
            while position <= hunk.upperBound {
                let operation = operations[position]
                count(operation, old: &oldLine, new: &newLine)
                switch operation {
                case .same(let line): body.append(" " + line)
                case .removed(let line): body.append("-" + line)
                case .added(let line): body.append("+" + line)
                }
                position += 1
            }
            let oldCount = oldLine - oldStart, newCount = newLine - newStart
            lines.append("@@ -\(oldStart + (oldCount > 0 ? 1 : 0)),\(oldCount) +\(newStart + (newCount > 0 ? 1 : 0)),\(newCount) @@")
            lines += body
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func count(_ operation: Operation, old: inout Int, new: inout Int) {
        switch operation {
        case .same: old += 1; new += 1
        case .removed: old += 1
        case .added: new += 1
        }
    }

    static func script(_ base: [String], _ other: [String], budget: inout DiffBudget) -> [Operation]? {
        guard let matches = LineMatching.matches(base, other, budget: &budget) else { return nil }
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

    /// Two heads: merged where they agree, marked where they overlap. More heads, or two whose
    /// lines cannot be matched within `budget`: each head whole.
    public static func lines(base: [String], heads: [(label: String, lines: [String])], budget: DiffBudget = DiffBudget()) -> [String] {
        var budget = budget
        if heads.count == 2, let chunks = Diff3.chunks(base: base, ours: heads[0].lines, theirs: heads[1].lines, budget: &budget) {
            var result: [String] = []
            for chunk in chunks {
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
