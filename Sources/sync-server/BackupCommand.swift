import ArgumentParser
import Foundation
import LocalStore
import PostgresStore
import SyncProtocol
import SyncModel

/// `sync-server backup`: a checked copy of a serving SQLite store.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the server's SQLite database while it serves, check the copy, and write it atomically.",
        discussion: """
            The copy is one consistent snapshot (SQLite's online backup API; pushes go on meanwhile), checked with \
            PRAGMA integrity_check and by recomputing the feed's chain before it is moved into place, so FILE \
            holds a whole, checked copy or nothing new. The time is recorded for `sync-server status`. \
            For a PostgreSQL database use pg_dump (docs/server.md, "Backups").
            Example: sync-server backup --db field.sqlite --to /backups/field-$(date +%F).sqlite
            """
    )

    @Option(help: ArgumentHelp("Where to write the backup (refused if it exists, unless --force).", valueName: "file")) var to: String
    @Flag(help: "Replace a file already at --to.") var force = false
    @OptionGroup var database: DatabaseOption

    func validate() throws {
        guard !PostgresLocation.isURL(database.path) else {
            throw ValidationError("backup copies a SQLite database; for PostgreSQL use pg_dump -F c (docs/server.md, \"Backups\")")
        }
        guard URL(fileURLWithPath: to).standardizedFileURL != URL(fileURLWithPath: database.path).standardizedFileURL else {
            throw ValidationError("--to names the database itself; write the backup to another file")
        }
    }

    func run() async throws {
        if force, FileManager.default.fileExists(atPath: to) { try ServingLock.holdForReplacing(to) }
        let store = try SQLiteServerStore.open(path: database.path, create: false)
        defer { try? store.close() }
        let summary = try store.backup(to: to, force: force, at: WallClock.now())
        print("Backed up \(database.path) to \(to): \(summary.versions) versions, feed at position \(summary.head.seq), \(BackupCommand.size(summary.bytes)); checked (integrity and feed chain).")
    }

    /// A size for people: bytes, KiB or MiB.
    static func size(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) bytes" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / 1024 / 1024)
    }
}
