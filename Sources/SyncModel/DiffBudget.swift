/// A bound on the work a diff or a merge may do, counted in steps (a comparison of two lines,
/// a diagonal visited, a slot of working memory), never in time: every replica and the server
/// run out at the same point on the same values, so they all reach the same decision.
///
/// Past the bound a merge is a conflict that keeps every head whole, and a diff is not drawn.
public struct DiffBudget: Sendable, Hashable {
    /// The steps one field's merge, or one diff shown to a person, may take. Two heads of a 1 MiB
    /// field of 200,000 lines with a few edits each take about 2 million; two unrelated texts of
    /// that size run out here in a few hundred milliseconds.
    public static let standardSteps = 40_000_000

    /// Steps left.
    public private(set) var remaining: Int

    /// A budget of `steps` (the standard one unless given).
    public init(steps: Int = DiffBudget.standardSteps) {
        remaining = steps
    }

    /// Whether the budget has run out.
    public var isExhausted: Bool { remaining < 0 }

    /// Takes `steps`; false once the budget has run out.
    @inline(__always)
    mutating func spend(_ steps: Int) -> Bool {
        remaining &-= steps
        return remaining >= 0
    }
}
