/// One write's identity: the replica that made it and that replica's write counter.
public struct Dot: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var replica: ReplicaID
    /// Grows by exactly one per write on `replica`, starting at 1.
    public var counter: UInt64

    public init(replica: ReplicaID, counter: UInt64) {
        self.replica = replica
        self.counter = counter
    }

    /// `replica-short:counter`, for people.
    public var description: String { "\(replica.short):\(counter)" }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        lhs.replica == rhs.replica ? lhs.counter < rhs.counter : lhs.replica < rhs.replica
    }
}
