public import SyncModel

/// When a replica last synced and how far into the feed its last answer took it, recorded by
/// every store at each exchange the replica makes, for operators (`sync-server status`).
/// Its lag is the feed's head minus ``reached``: versions stored since that it has not pulled.
public struct ReplicaActivity: Sendable, Equatable {
    public var replica: ReplicaID
    /// The analyst the replica is bound to.
    public var analyst: String
    /// Milliseconds since 1970 of its last exchange; nil for a replica bound by another's push
    /// (a bundle) that has never synced itself.
    public var lastSync: Int64?
    /// The feed position its last answer reached (the cursor it was given); nil until an answer
    /// carried one.
    public var reached: UInt64?

    public init(replica: ReplicaID, analyst: String, lastSync: Int64?, reached: UInt64?) {
        self.replica = replica
        self.analyst = analyst
        self.lastSync = lastSync
        self.reached = reached
    }

    /// Versions stored after the position it reached, given the feed's head.
    public func lag(head: FeedCursor) -> UInt64? {
        reached.map { head.seq > $0 ? head.seq - $0 : 0 }
    }
}
