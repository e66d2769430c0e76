/// A three-way merge of sequences in the manner of diff3: changes from either side against the
/// base are taken where they do not overlap; overlapping different changes are a conflict.
public enum Diff3 {
    public enum Chunk<Element: Hashable>: Equatable {
        case stable([Element])
        case merged([Element])
        case conflict(base: [Element], ours: [Element], theirs: [Element])
    }

    /// The merged sequence, or nil when some change overlaps.
    public static func merge<Element: Hashable>(base: [Element], ours: [Element], theirs: [Element]) -> [Element]? {
        var result: [Element] = []
        for chunk in chunks(base: base, ours: ours, theirs: theirs) {
            switch chunk {
            case .stable(let items), .merged(let items): result += items
            case .conflict: return nil
            }
        }
        return result
    }

    /// The merge as a list of stable, cleanly merged and conflicting chunks.
    public static func chunks<Element: Hashable>(base: [Element], ours: [Element], theirs: [Element]) -> [Chunk<Element>] {
        let matchOurs = LCS.matches(base, ours)
        let matchTheirs = LCS.matches(base, theirs)
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

/// Longest common subsequence matching, with the common prefix and suffix trimmed first.
enum LCS {
    /// For each index of `base`, the index in `other` it is matched with, if any. Matches are increasing.
    static func matches<Element: Hashable>(_ base: [Element], _ other: [Element]) -> [Int?] {
        var result = [Int?](repeating: nil, count: base.count)
        var prefix = 0
        while prefix < base.count, prefix < other.count, base[prefix] == other[prefix] {
            result[prefix] = prefix
            prefix += 1
        }
        var suffix = 0
        while suffix < base.count - prefix, suffix < other.count - prefix,
              base[base.count - 1 - suffix] == other[other.count - 1 - suffix] {
            result[base.count - 1 - suffix] = other.count - 1 - suffix
            suffix += 1
        }
        let baseMiddle = Array(base[prefix..<(base.count - suffix)])
        let otherMiddle = Array(other[prefix..<(other.count - suffix)])
        let n = baseMiddle.count, m = otherMiddle.count
        guard n > 0, m > 0 else { return result }
        // lengths[i][j]: LCS length of baseMiddle[i...] and otherMiddle[j...], in one flat array.
        var lengths = [Int32](repeating: 0, count: (n + 1) * (m + 1))
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lengths[i * (m + 1) + j] = baseMiddle[i] == otherMiddle[j]
                    ? lengths[(i + 1) * (m + 1) + j + 1] + 1
                    : max(lengths[(i + 1) * (m + 1) + j], lengths[i * (m + 1) + j + 1])
            }
        }
        var i = 0, j = 0
        while i < n, j < m {
            if baseMiddle[i] == otherMiddle[j] {
                result[prefix + i] = prefix + j
                i += 1; j += 1
            } else if lengths[(i + 1) * (m + 1) + j] >= lengths[i * (m + 1) + j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return result
    }
}
