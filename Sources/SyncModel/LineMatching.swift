/// Matches two sequences along a longest common subsequence with Myers' O((N+M)·D) algorithm in
/// linear space (E. Myers, "An O(ND) Difference Algorithm and Its Variations", 1986, §4b), the
/// one behind GNU diff and `git merge-file`: the cost follows the size of the edit, not the
/// product of the lengths, and every step is counted against a ``DiffBudget``.
enum LineMatching {
    /// For each index of `base`, the index in `other` it is matched with, if any (matches are
    /// increasing), or nil when `budget` runs out first.
    static func matches<Element: Equatable>(_ base: [Element], _ other: [Element], budget: inout DiffBudget) -> [Int?]? {
        guard budget.spend(base.count + other.count) else { return nil }
        var result = [Int?](repeating: nil, count: base.count)
        let finished = base.withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                var pending = [Span(aLow: 0, aHigh: a.count, bLow: 0, bHigh: b.count)]
                while var span = pending.popLast() {
                    while span.aLow < span.aHigh, span.bLow < span.bHigh, a[span.aLow] == b[span.bLow] {
                        result[span.aLow] = span.bLow
                        span.aLow += 1
                        span.bLow += 1
                    }
                    while span.aLow < span.aHigh, span.bLow < span.bHigh, a[span.aHigh - 1] == b[span.bHigh - 1] {
                        span.aHigh -= 1
                        span.bHigh -= 1
                        result[span.aHigh] = span.bHigh
                    }
                    guard span.aLow < span.aHigh, span.bLow < span.bHigh else { continue }
                    switch split(a, b, span, &budget) {
                    case .exhausted:
                        return false
                    case .nothingInCommon:
                        continue
                    case .at(let x, let y):
                        pending.append(Span(aLow: span.aLow, aHigh: x, bLow: span.bLow, bHigh: y))
                        pending.append(Span(aLow: x, aHigh: span.aHigh, bLow: y, bHigh: span.bHigh))
                    }
                }
                return true
            }
        }
        return finished ? result : nil
    }

    /// A rectangle of the edit graph still to be matched: `a[aLow..<aHigh]` against `b[bLow..<bHigh]`.
    private struct Span {
        var aLow: Int, aHigh: Int, bLow: Int, bHigh: Int
    }

    private enum Split {
        case at(Int, Int)
        case nothingInCommon
        case exhausted
    }

    /// A point on a shortest edit path through `span`, found where the forward and the reverse
    /// searches meet (the "middle snake"); both halves it leaves are strictly smaller. The span's
    /// first and last elements differ (common ends are trimmed before).
    private static func split<Element: Equatable>(
        _ a: UnsafeBufferPointer<Element>, _ b: UnsafeBufferPointer<Element>, _ span: Span, _ budget: inout DiffBudget
    ) -> Split {
        let n = span.aHigh - span.aLow, m = span.bHigh - span.bLow
        let maxD = (n + m + 1) / 2
        let offset = maxD
        let length = 2 * maxD + 2
        guard budget.spend(2 * length) else { return .exhausted }
        // The furthest x reached on each diagonal k (at index offset + k), forward from the
        // span's start and backward from its end; -1 where no path has reached yet.
        var forward = [Int32](repeating: -1, count: length)
        var backward = [Int32](repeating: -1, count: length)
        forward[offset + 1] = 0
        backward[offset + 1] = 0
        let delta = n - m
        // With an odd delta the paths can first meet on a forward step, with an even one on a backward step.
        let meetForward = delta % 2 != 0
        var forwardStart = 0, forwardEnd = 0, backwardStart = 0, backwardEnd = 0
        for d in 0..<maxD {
            guard budget.spend(1) else { return .exhausted }
            var k = -d + forwardStart
            while k <= d - forwardEnd {
                let i = offset + k
                var x = k == -d || (k != d && forward[i - 1] < forward[i + 1]) ? Int(forward[i + 1]) : Int(forward[i - 1]) + 1
                var y = x - k
                let from = x
                while x < n, y < m, a[span.aLow + x] == b[span.bLow + y] {
                    x += 1
                    y += 1
                }
                guard budget.spend(1 + x - from) else { return .exhausted }
                forward[i] = Int32(x)
                if x > n {
                    forwardEnd += 2
                } else if y > m {
                    forwardStart += 2
                } else if meetForward {
                    let j = offset + delta - k
                    if j >= 0, j < length, backward[j] != -1, x >= n - Int(backward[j]) {
                        return .at(span.aLow + x, span.bLow + y)
                    }
                }
                k += 2
            }
            k = -d + backwardStart
            while k <= d - backwardEnd {
                let i = offset + k
                var x = k == -d || (k != d && backward[i - 1] < backward[i + 1]) ? Int(backward[i + 1]) : Int(backward[i - 1]) + 1
                var y = x - k
                let from = x
                while x < n, y < m, a[span.aHigh - 1 - x] == b[span.bHigh - 1 - y] {
                    x += 1
                    y += 1
                }
                guard budget.spend(1 + x - from) else { return .exhausted }
                backward[i] = Int32(x)
                if x > n {
                    backwardEnd += 2
                } else if y > m {
                    backwardStart += 2
                } else if !meetForward {
                    let j = offset + delta - k
                    if j >= 0, j < length, forward[j] != -1 {
                        let forwardX = Int(forward[j])
                        if forwardX >= n - x {
                            return .at(span.aLow + forwardX, span.bLow + forwardX - (j - offset))
                        }
                    }
                }
                k += 2
            }
        }
        return .nothingInCommon
    }
}
