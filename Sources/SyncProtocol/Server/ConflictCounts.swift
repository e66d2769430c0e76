/// Conflicts as replicas reported them to a server (see ``ConflictReport``).
public struct ConflictCounts: Sendable, Equatable, CustomStringConvertible {
    /// Reported opened and not yet reported resolved.
    public var open: Int
    /// Every conflict ever reported, each once (resolved ones included).
    public var opened: Int

    public init(open: Int, opened: Int) {
        self.open = open
        self.opened = opened
    }

    public var description: String { "\(open) open of \(opened) opened" }
}
