public import SyncModel

/// A number for each thing whose change may end a watching replica's wait: the feed's head,
/// analysts' clearances, and the placement log. A server polls it to learn of commits made by
/// other processes (other instances on one PostgreSQL database, or `sync-server clearance`).
public struct ChangeStamp: Sendable, Hashable {
    /// The feed's head position.
    public var feed: UInt64
    /// Grows whenever any analyst's clearances or default compartment change.
    public var access: UInt64
    /// The placement log's head position.
    public var placements: UInt64

    public init(feed: UInt64, access: UInt64 = 0, placements: UInt64 = 0) {
        self.feed = feed
        self.access = access
        self.placements = placements
    }
}

/// What one look at the store says to a waiting replica.
public struct WaitProbe: Sendable, Equatable {
    /// Whether a sync now would bring the replica something: a version its analyst may read
    /// after its cursor (not its own), or a change in their access.
    public var changed: Bool
    /// When nothing changed, the position the wait goes on from: past every feed entry looked at
    /// (entries the analyst may not read, and the replica's own, included).
    public var cursor: FeedCursor
    /// The same for the access cursor: past placements of records the analyst never reads.
    public var access: AccessCursor?

    public init(changed: Bool, cursor: FeedCursor, access: AccessCursor?) {
        self.changed = changed
        self.cursor = cursor
        self.access = access
    }
}

/// Why a wait was refused before it was parked; nothing was changed.
public enum WaitRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// The cursor is not a position of this server's feed (forged, or from another history).
    case unknownCursor(FeedCursor)

    public var code: ServerErrorCode { .unknownCursor }

    public var description: String {
        switch self {
        case .unknownCursor(let cursor):
            return "the cursor \(cursor) is not a position of this server's feed (another server, or this one restored from a backup); run `sync-client sync`, which starts over from the replica's versions"
        }
    }
}

extension ServerStorage {
    /// Whether a sync by `replica` of `analyst`, standing at `cursor` and `access`, would bring
    /// something (see ``WaitProbe``). It reads what an exchange reads, through the same
    /// need-to-know rules, in one transaction that stores nothing and records no activity.
    /// - Throws: ``WaitRefusal/unknownCursor(_:)`` for a cursor this feed does not honour, and
    ///   the storage's own errors.
    public func probeWait(analyst: String, replica: ReplicaID, cursor: FeedCursor, access: AccessCursor?, at time: Int64) async throws -> WaitProbe {
        var position = cursor
        var accessPosition = access
        while true {
            // One version is enough to know; the scan passes over unreadable entries to find it.
            var work = ExchangeWork(analyst: analyst, claimed: [], versions: try check([]), counted: [],
                                    page: PageQuery(.feed(after: position, skipping: [replica]), limit: 1), time: time)
            work.access = accessPosition
            let stored = try await perform(work, ownership: { _ in })
            guard let page = stored.page else { throw WaitRefusal.unknownCursor(position) }
            if let update = stored.access {
                if update.clearances != nil || !update.placements.isEmpty { return WaitProbe(changed: true, cursor: position, access: accessPosition) }
                // Placements of records the analyst never reads: passed over, as feed entries are.
                accessPosition = update.cursor
            }
            if !page.versions.isEmpty { return WaitProbe(changed: true, cursor: position, access: accessPosition) }
            let next = page.cursor ?? position
            // A scan that stopped short without moving on cannot say: a sync will.
            if page.more && next == position && stored.access?.more != true { return WaitProbe(changed: true, cursor: position, access: accessPosition) }
            position = next
            if !page.more && stored.access?.more != true { return WaitProbe(changed: false, cursor: position, access: accessPosition) }
        }
    }
}
