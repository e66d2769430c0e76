import Foundation
package import LocalStore
import SyncModel

/// A point in a replica's history that a person names: a date (`2026`, `2026-02`,
/// `2026-02-18`, the end of that period, UTC), a moment (`2026-02-18T09:30:00Z`), or a version
/// as `log` prints it (`3c776e85:4`, the moment it was written).
package enum HistoryPoint {
    /// The moment `text` names, in milliseconds since 1970 (as versions carry time).
    /// - Throws: ``ClientError`` saying what forms are understood.
    package static func time(_ text: String, in store: Store) throws -> Int64 {
        if text == "now" { return .max }
        if text.contains(":") && !text.contains("T") {
            guard let version = try store.version(matching: text) else {
                throw ClientError("no version \(text) in this replica; versions are written replica:counter as `sync-client log` prints them")
            }
            return version.time
        }
        if let date = PartialDate(text) { return midnight(after: date.lastDay) - 1 }
        let formatter = ISO8601DateFormatter()
        if let moment = formatter.date(from: text) { return Int64(moment.timeIntervalSince1970 * 1000) }
        throw ClientError("'\(text.prefix(40))' is not a point in history: give a date (2026-02-18, 2026-02 or 2026), a moment (2026-02-18T09:30:00Z) or a version (replica:counter, as `sync-client log` prints it)")
    }

    /// The moment before the period `text` names begins, for "since": a date (`2026-02-18`,
    /// `2026-02`, `2026`) is taken from its first day, so `--since 2026-02-18` includes that
    /// day; a moment or a version is the same point as ``time(_:in:)``.
    package static func start(_ text: String, in store: Store) throws -> Int64 {
        guard !text.contains(":"), let date = PartialDate(text) else { return try time(text, in: store) }
        return midnight(after: date.firstDay) - 86_400_000 - 1
    }

    /// Midnight UTC at the end of `day`, in milliseconds since 1970.
    private static func midnight(after day: PartialDate) -> Int64 {
        var components = DateComponents()
        (components.year, components.month, components.day) = (day.year, day.month, day.day)
        components.timeZone = TimeZone(identifier: "UTC")
        let start = Calendar(identifier: .gregorian).date(from: components)!
        return Int64((start.timeIntervalSince1970 + 86_400) * 1000)
    }
}
