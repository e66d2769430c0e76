import ArgumentParser
import Foundation
import LocalStore
import PostgresStore
import SyncModel
import SyncProtocol

/// `sync-server status`: what an operator asks first, read from the database (a server may be
/// serving it meanwhile).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the feed head, the database's size, the last backup, open conflicts, bundle applies, and each analyst's replicas with their last sync and lag.",
        discussion: """
            A replica's lag is the number of versions stored since the feed position its last sync reached: what it \
            will pull at its next sync. Open conflicts are the ones replicas reported open and none has reported \
            resolved yet; a conflict no replica has synced since it opened is not counted yet. Safe to run while a \
            server serves the database.
            Example: sync-server status --db field.sqlite
            """
    )

    @OptionGroup var database: DatabaseOption

    func run() async throws {
        let opened = try await database.open()
        defer { opened.close() }
        let store = opened.storage
        let analysts = try await store.analysts()
        let activity = try await store.replicaActivity()
        let head = try await store.feedHead()
        let conflicts = try await store.conflictCounts()
        let applies = try await store.bundleApplies()
        let now = WallClock.now()
        var size: Int64?
        var backup = "not recorded here (PostgreSQL: see pg_dump in docs/server.md)"
        if let sqlite = store as? SQLiteServerStore {
            size = ["", "-wal"].compactMap { try? FileManager.default.attributesOfItem(atPath: database.path + $0)[.size] as? NSNumber }
                .reduce(0) { $0 + $1.int64Value }
            backup = try sqlite.lastBackup().map { "\(TimeText.utc($0.time)) (\(TimeText.ago($0.time, now: now))), \($0.file)" } ?? "never"
        } else if let postgres = store as? PostgresServerStore {
            size = try await postgres.databaseSize()
        }
        print("Database: \(database.displayName)\(size.map { ", \(BackupCommand.size($0))" } ?? "")")
        print("Feed head: position \(head.seq)")
        print("Last backup: \(backup)")
        print("Conflicts: \(conflicts.open) open, \(conflicts.opened) opened in all (as replicas reported them)")
        print("Bundle applies: \(Self.applies(applies))")
        print("Analysts: \(analysts.count), replicas: \(activity.count)")
        let byAnalyst = Dictionary(grouping: activity, by: \.analyst)
        for analyst in analysts {
            let replicas = byAnalyst[analyst.name] ?? []
            let state = analyst.revoked == nil ? "active" : "revoked"
            print("  \(analyst.name) (\(state), \(replicas.count) replica\(replicas.count == 1 ? "" : "s"))")
            for replica in replicas {
                let synced = replica.lastSync.map { "last sync \(TimeText.utc($0)) (\(TimeText.ago($0, now: now)))" } ?? "never synced itself"
                let lag = replica.lag(head: head).map { "lag \($0) version\($0 == 1 ? "" : "s")" } ?? "lag unknown (no answer reached the feed yet)"
                print("    \(replica.replica.rawValue)  \(synced), \(lag)")
            }
        }
    }
}

extension StatusCommand {
    /// `3 applied, 2 refused (bad_signature 1, unknown_key 1)`, the refusals by reason.
    static func applies(_ counts: [BundleApplyResult: Int]) -> String {
        let refused = counts.compactMap { result, count in result.reason.map { ($0.rawValue, count) } }.sorted { $0.0 < $1.0 }
        let total = refused.reduce(0) { $0 + $1.1 }
        let reasons = refused.isEmpty ? "" : " (" + refused.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")"
        return "\(counts[.applied] ?? 0) applied, \(total) refused\(reasons)"
    }
}

/// Times for people: UTC to the second, and how long ago.
enum TimeText {
    /// `2026-12-07 10:01:02 UTC` for milliseconds since 1970.
    static func utc(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)) + " UTC"
    }

    /// `just now`, `5 min ago`, `3 h ago`, `2 days ago`.
    static func ago(_ milliseconds: Int64, now: Int64) -> String {
        let seconds = max(0, (now - milliseconds) / 1000)
        switch seconds {
        case ..<60: return "just now"
        case ..<3600: return "\(seconds / 60) min ago"
        case ..<86400: return "\(seconds / 3600) h ago"
        default: return "\(seconds / 86400) day\(seconds / 86400 == 1 ? "" : "s") ago"
        }
    }
}
