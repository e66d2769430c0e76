/// A three-way merge of sequences in the manner of diff3: changes from either side against the
/// base are taken where they do not overlap; overlapping different changes are a conflict.
///
/// Every function takes a ``DiffBudget``: the line matching behind it counts its steps, and a
/// merge that would need more than the budget gives up the same way on every replica.
public enum Diff3 {
    public enum Chunk<Element: Hashable>: Equatable {
        case stable([Element])
        case merged([Element])
        case conflict(base: [Element], ours: [Element], theirs: [Element])
    }

    /// How a three-way merge ended.
    public enum Outcome<Element: Hashable>: Equatable {
        /// Every change merged cleanly into this sequence.
        case merged([Element])
        /// Some change of one side overlaps a different change of the other.
        case overlapping
        /// Matching the lines needed more steps than the budget allows.
        case beyondBudget
    }

    /// The merged sequence, or nil when some change overlaps or the standard budget runs out.
    public static func merge<Element: Hashable>(base: [Element], ours: [Element], theirs: [Element]) -> [Element]? {
        var budget = DiffBudget()
        guard case .merged(let result) = merge(base: base, ours: ours, theirs: theirs, budget: &budget) else { return nil }
        return result
    }

    /// The merge of `ours` and `theirs` against `base`, spending from `budget`.
    public static func merge<Element: Hashable>(base: [Element], ours: [Element], theirs: [Element], budget: inout DiffBudget) -> Outcome<Element> {
        guard let chunks = chunks(base: base, ours: ours, theirs: theirs, budget: &budget) else { return .beyondBudget }
        var result: [Element] = []
        for chunk in chunks {
            switch chunk {
            case .stable(let items), .merged(let items): result += items
            case .conflict: return .overlapping
            }
        }
        return .merged(result)
    }

    /// The merge as a list of stable, cleanly merged and conflicting chunks, or nil when matching
    /// the lines needs more steps than `budget` has left.
    public static func chunks<Element: Hashable>(
        base: [Element], ours: [Element], theirs: [Element], budget: inout DiffBudget
    ) -> [Chunk<Element>]? {
        guard let matchOurs = LineMatching.matches(base, ours, budget: &budget),
              let matchTheirs = LineMatching.matches(base, theirs, budget: &budget) else { return nil }
        var chunks: [Chunk<Element>] = []
        var o = 0, a = 0, b = 0
        while true {
            var length = 0
            while o + length < base.count, matchOurs[o + length] == a + length, matchTheirs[o + length] == b + length {
                length += 1
            }
            if length > 0 {
                chunks.append(.stable(Array(base[o..<(o + length)])))
                o += length; a += length; b += length
                continue
            }
            var k = o
            while k < base.count, matchOurs[k] == nil || matchTheirs[k] == nil { k += 1 }
            let (endA, endB) = k < base.count ? (matchOurs[k]!, matchTheirs[k]!) : (ours.count, theirs.count)
            let baseSide = Array(base[o..<k]), oursSide = Array(ours[a..<endA]), theirsSide = Array(theirs[b..<endB])
            if baseSide.isEmpty, oursSide.isEmpty, theirsSide.isEmpty { break }
            if oursSide == baseSide {
                chunks.append(.merged(theirsSide))
            } else if theirsSide == baseSide || oursSide == theirsSide {
                chunks.append(.merged(oursSide))
            } else {
                chunks.append(.conflict(base: baseSide, ours: oursSide, theirs: theirsSide))
            }
            o = k; a = endA; b = endB
            if k >= base.count { break }
        }
        return chunks
    }
}
