public import SyncModel

/// A request for the current state instead of the feed (a shallow join): for each record the
/// analyst reads, in record id order, the heads of every field as of one feed position and,
/// for fields with several heads, the versions their common ancestor is chosen from (see
/// ``ShallowSnapshot``). The history older than that position follows later as a backfill.
public struct ShallowRequest: Codable, Sendable, Hashable {
    /// The position the snapshot is taken at: nil in the first request (the server takes its
    /// feed's head), then the position the first answer named, so every page shows one state.
    public var at: FeedCursor?
    /// The last record the previous page looked at; the page continues after it.
    public var after: RecordID?

    public init(at: FeedCursor? = nil, after: RecordID? = nil) {
        self.at = at
        self.after = after
    }
}

/// What a shallow page's answer says besides its versions (``SyncResponse/more`` tells whether
/// records remain).
public struct ShallowAnswer: Codable, Sendable, Hashable {
    /// The position the snapshot is taken at: the feed cursor the replica continues from.
    public var at: FeedCursor
    /// The last record the page looked at (the next request's `after`); nil when it looked at none.
    public var reached: RecordID?
    /// The highest counter of each replica among the versions up to `at` of the records the
    /// page looked at (only those the analyst reads): above it, every version of those records
    /// comes by the feed, so a replica knows which ancestors it may lack.
    public var seen: VersionVector

    public init(at: FeedCursor, reached: RecordID?, seen: VersionVector) {
        self.at = at
        self.reached = reached
        self.seen = seen
    }
}

/// A shallow request the server does not serve (nothing is read or stored).
public enum ShallowError: StorageError, Equatable, Sendable {
    /// The request also pushes, carries, withdraws, places or backfills: a shallow page is a read.
    case notAlone
    /// `at` is not a position of this feed (another server, or one restored from a backup).
    case unknownPosition(FeedCursor)

    public var code: ServerErrorCode? {
        switch self {
        case .notAlone: return .malformedBody
        case .unknownPosition: return .unknownCursor
        }
    }

    public var description: String {
        switch self {
        case .notAlone:
            return "a shallow join's request reads only: leave out versions, signatures, withdrawn dots, homes and backfill"
        case .unknownPosition(let at):
            return "the shallow join's position \(at.seq) is not one of this server's feed (it was restored from a backup, or is another server); start the join again with a new replica (`sync-client init --shallow`)"
        }
    }
}
