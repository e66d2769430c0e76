package import SyncModel
package import LocalStore
package import SyncProtocol

/// What one sync of a replica did, as ``ReplicaSync`` returns it: the CLI prints it and the web
/// dashboard shows it, so both say the same.
package struct SyncOutcome: Sendable, Equatable {
    /// The server synced with.
    package var server: String
    /// The session's counts, and the carried ranges the server refused.
    package var stats: SyncStats
    /// Conflicts this sync opened and left open: the merges', then those of live cells that now
    /// share a number with a cell from another replica.
    package var newConflicts: [ConflictID]
    /// Records removed from this laptop because a clearance went or they moved out of reach.
    package var removed: [Removal]
    /// Versions of records newly readable (a grant, or a record moved in), brought with their history.
    package var backfilled: Int
    /// The sync requests' and answers' body bytes, when the sync went over HTTP.
    package var bytesSent: Int?
    package var bytesReceived: Int?
    /// Versions a shallow join brought at this sync (the current state); nil when none ran.
    package var shallow: Int?
    /// Versions of a shallow join's history this sync brought.
    package var history = 0
    /// Whether a shallow join's history is still arriving after this sync.
    package var historyPending = false
    /// The same bodies' bytes before gzip, both ways.
    package var uncompressedBytes: Int?
    /// The most body bytes one request moved, both ways.
    package var largestRequestBytes: Int?

    package init(server: String, stats: SyncStats, newConflicts: [ConflictID], removed: [Removal] = [], backfilled: Int = 0) {
        self.server = server
        self.stats = stats
        self.newConflicts = newConflicts
        self.removed = removed
        self.backfilled = backfilled
    }

    /// The shape `sync --json` prints.
    package var summary: OutputJSON.SyncSummary {
        var summary = OutputJSON.SyncSummary(server: server, requests: stats.requests, sent: stats.sent, received: stats.received,
                               mergedCleanly: stats.cleanMerges, newConflicts: newConflicts.map(\.rawValue),
                               removed: removed.map(\.sentence), setAside: removed.compactMap(\.setAside), backfilled: backfilled)
        (summary.sentBytes, summary.receivedBytes) = (bytesSent, bytesReceived)
        (summary.shallow, summary.history, summary.historyPending) = (shallow, history > 0 ? history : nil, historyPending ? true : nil)
        (summary.uncompressedBytes, summary.largestRequestBytes) = (uncompressedBytes, largestRequestBytes)
        return summary
    }

    /// What a sync says when it ends: the figures, then each new conflict.
    package var lines: [String] {
        ["Synced with \(server): sent \(stats.sent), received \(stats.received), merged cleanly \(stats.cleanMerges), new conflicts \(newConflicts.count)"]
            + Self.conflictLines(newConflicts.map(\.rawValue))
            + removed.map(\.sentence)
            + (backfilled > 0 ? ["Brought the history of records you are newly cleared for: \(backfilled) version\(backfilled == 1 ? "" : "s")"] : [])
            + (shallow.map { ["Joined shallow: brought the current state (\($0) version\($0 == 1 ? "" : "s")); the history follows (`sync-client sync --history`)"] } ?? [])
            + (history > 0 ? ["Brought \(history) version\(history == 1 ? "" : "s") of history" + (historyPending ? "; more is still arriving" : "; the history is complete")] : [])
    }

    /// A warning for each carried range the server refused, saying whether it is carried again.
    package var warnings: [String] {
        stats.refusedCarried.map { refused in
            let what = refused.mayPassLater ? "kept to carry at a later sync" : "no longer carried"
            return "warning: the server refused versions \(refused.range.label) received by bundle (\(what)): \(refused.message)"
        }
    }

    /// A line for each conflict a sync or a bundle opened, naming the command that shows it.
    package static func conflictLines(_ ids: [String]) -> [String] {
        ids.map { "  conflict \($0): see `sync-client conflicts show \($0)`" }
    }
}
