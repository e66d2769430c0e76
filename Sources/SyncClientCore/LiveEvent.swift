import Foundation
import LocalStore
import SyncModel
package import SyncProtocol

/// What a watch (``LiveSync``) reports: only what changed something or needs a person's eye,
/// so a terminal left open all day stays readable. ``line`` is the text form,
/// ``json`` the object `sync --watch --json` prints one a line.
package enum LiveEvent: Sendable, Equatable {
    /// The watch began (and synced once).
    case started(server: String)
    /// A sync that sent or received something, opened conflicts, removed or backfilled records.
    case synced(SyncOutcome)
    /// The server could not be reached (said once per outage); the next try is in `retry`.
    case unreachable(reason: String, retry: Duration)
    /// The server answers again after an outage of `seconds`.
    case reconnected(seconds: Int)
    /// The server refused a request; the watch tries again after `retry`.
    case refused(code: ServerErrorCode, message: String, retry: Duration)
    /// The watch stopped (Ctrl-C or SIGTERM) between requests.
    case stopped

    /// Whether the event is worth a line (a sync that moved nothing is not).
    package var isWorthALine: Bool {
        guard case .synced(let outcome) = self else { return true }
        return outcome.stats.sent > 0 || outcome.stats.received > 0 || !outcome.newConflicts.isEmpty || !outcome.removed.isEmpty || outcome.backfilled > 0
    }

    /// The event as text, without the time stamp ``LiveEvent/stamped(_:at:)`` adds.
    package var line: String {
        switch self {
        case .started(let server):
            return "watching \(server): local writes go within a second, colleagues' arrive as they are pushed (Ctrl-C stops)"
        case .synced(let outcome):
            var parts: [String] = []
            if outcome.stats.sent > 0 { parts.append("sent \(Self.versions(outcome.stats.sent))") }
            if outcome.stats.received > 0 { parts.append("received \(Self.versions(outcome.stats.received))") }
            if outcome.stats.cleanMerges > 0 { parts.append("merged cleanly \(outcome.stats.cleanMerges)") }
            var lines = [parts.isEmpty ? "synced" : parts.joined(separator: ", ")]
            lines += outcome.newConflicts.map { "new conflict \($0.rawValue): see `sync-client conflicts show \($0.rawValue)`" }
            lines += outcome.removed.map(\.sentence)
            if outcome.backfilled > 0 { lines.append("brought the history of records you are newly cleared for: \(Self.versions(outcome.backfilled))") }
            return lines.joined(separator: "\n")
        case .unreachable(let reason, let retry):
            return "cannot reach the server (\(reason)); your writes are kept, and the watch tries again by itself (next in \(Self.seconds(retry)), then less often, up to its --max-backoff)"
        case .reconnected(let seconds):
            return "the server answers again (after \(seconds) s); catching up"
        case .refused(let code, let message, let retry):
            return "the server refused (\(code)): \(message); trying again in \(Self.seconds(retry))"
        case .stopped:
            return "stopped watching; nothing is lost (every page received is kept, and unsent writes stay queued)"
        }
    }

    /// One line per line of ``line``, each after the time, for a terminal.
    package func stamped(at time: Int64) -> String {
        let stamp = TextOutput.isoTime(time).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
        return line.split(separator: "\n", omittingEmptySubsequences: false).map { "\(stamp)  \($0)" }.joined(separator: "\n")
    }

    /// The `--json` object: `{"event", "time", …}` with the event's own keys.
    package func json(at time: Int64) -> OutputJSON.LiveLine {
        var shape = OutputJSON.LiveLine(event: "", time: TextOutput.isoTime(time))
        switch self {
        case .started(let server): (shape.event, shape.server) = ("started", server)
        case .synced(let outcome): (shape.event, shape.sync) = ("synced", outcome.summary)
        case .unreachable(let reason, let retry): (shape.event, shape.message, shape.retrySeconds) = ("unreachable", reason, retry.seconds)
        case .reconnected(let seconds): (shape.event, shape.retrySeconds) = ("reconnected", Double(seconds))
        case .refused(let code, let message, let retry):
            (shape.event, shape.code, shape.message, shape.retrySeconds) = ("refused", code.rawValue, message, retry.seconds)
        case .stopped: shape.event = "stopped"
        }
        return shape
    }

    private static func versions(_ count: Int) -> String { "\(count) version\(count == 1 ? "" : "s")" }

    private static func seconds(_ duration: Duration) -> String {
        let value = duration.seconds
        return value < 10 ? String(format: "%.1f s", value) : "\(Int(value)) s"
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension OutputJSON {
    /// One line of `sync --watch --json`: `{"event": "started" | "synced" | "unreachable" |
    /// "reconnected" | "refused" | "stopped", "time", …}`; a sync carries the `sync --json` shape
    /// under `sync`, a refusal its `code` and `message`, an outage its `message` and
    /// `retrySeconds` (for `reconnected`, how long it lasted).
    package struct LiveLine: Encodable, Equatable {
        package var event: String
        package var time: String
        package var server: String?
        package var sync: SyncSummary?
        package var code: String?
        package var message: String?
        package var retrySeconds: Double?
    }
}
