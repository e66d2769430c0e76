public import SyncModel

/// `POST /v1/wait` body: where a watching replica stands. The server answers as soon as its feed
/// holds, after `cursor`, a version the analyst may read that is not the replica's own, or the
/// analyst's access has changed since `access`; else with `changed: false` after `seconds`.
public struct WaitRequest: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// The waiting replica, whose own versions do not end its wait.
    public var replica: ReplicaID
    /// The feed position the replica's last complete pull reached.
    public var cursor: FeedCursor
    /// How far the replica has followed its analyst's clearances and placements.
    public var access: AccessCursor?
    /// The longest the client will wait for an answer; the server holds the request at most
    /// this long, and never longer than its own `--max-wait-seconds`.
    public var seconds: Int?

    public init(replica: ReplicaID, cursor: FeedCursor, access: AccessCursor?, seconds: Int? = nil, protocolVersion: Int = WireProtocol.version) {
        self.protocolVersion = protocolVersion
        self.replica = replica
        self.cursor = cursor
        self.access = access
        self.seconds = seconds
    }
}

/// `POST /v1/wait` answer: whether a sync now would bring something.
public struct WaitResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// True when the feed passed the request's cursor with a version the analyst may read, or
    /// their access changed: the client syncs. False when the wait ran out (or the server is
    /// shutting down): the client waits again.
    public var changed: Bool

    public init(changed: Bool, protocolVersion: Int = WireProtocol.version) {
        self.protocolVersion = protocolVersion
        self.changed = changed
    }
}
