/// The causal state of one field: the join of every known version's context and the heads.
///
/// Integrating a version costs O(writers of the field), independent of history length and of
/// arrival order (DESIGN §2.2): a version is a head iff no known version's context covers its
/// dot, and it retires the heads its own context covers.
public struct FieldHeads: Sendable, Hashable {
    /// The join of the contexts of every known version of the field.
    public private(set) var joined: VersionVector
    /// Dots of the versions nothing known supersedes, sorted.
    public private(set) var heads: [Dot]

    public init(joined: VersionVector = VersionVector(), heads: [Dot] = []) {
        self.joined = joined
        self.heads = heads.sorted()
    }

    /// Folds in a newly known version; returns whether it is a head.
    @discardableResult
    public mutating func integrate(dot: Dot, context: VersionVector) -> Bool {
        guard !heads.contains(dot) else { return true }
        heads.removeAll { context.covers($0) }
        let isHead = !joined.covers(dot)
        if isHead {
            let index = heads.firstIndex { dot < $0 } ?? heads.endIndex
            heads.insert(dot, at: index)
        }
        joined.merge(context)
        return isHead
    }

    /// The version vector of the field as this replica sees it.
    public var fieldVector: VersionVector {
        var vector = joined
        for dot in heads { vector.add(dot) }
        return vector
    }

    /// The rule for a local write: its context is the field's whole vector here, so it
    /// supersedes every head this replica knows (and a write onto a conflict resolves it). Every
    /// local write path takes its context from here; the write log's set-wise fold relies on it.
    public var localWriteContext: VersionVector { fieldVector }

    /// The context of a local write that follows another local write of the same field, whose
    /// context and dot are given (what integrating that write leaves as the field's vector).
    public static func localWriteContext(after context: VersionVector, _ dot: Dot) -> VersionVector {
        var vector = context
        vector.add(dot)
        return vector
    }

    /// The context every head has seen: a common ancestor's dot is covered by it.
    public static func commonContext(of heads: [Version]) -> VersionVector {
        guard var meet = heads.first?.context else { return VersionVector() }
        for head in heads.dropFirst() { meet = meet.meet(head.context) }
        return meet
    }
}
