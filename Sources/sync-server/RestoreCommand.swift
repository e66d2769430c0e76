import ArgumentParser
import Foundation
import LocalStore
import PostgresStore
import SyncProtocol

/// `sync-server restore`: a checked backup put in place of a stopped server's database.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Check a backup and copy it into place atomically, for a server to serve.",
        discussion: """
            Refused while a sync-server serves --to. Replicas that synced after the backup was taken resend what the \
            restored server lacks at their next sync, and nothing is lost.
            Example: sync-server restore --from /backups/field-2026-12-06.sqlite --to field.sqlite --force
            """
    )

    @Option(help: ArgumentHelp("The backup to restore (made by `sync-server backup`).", valueName: "file")) var from: String
    @Option(help: ArgumentHelp("The database file to write (refused if it exists, unless --force).", valueName: "path")) var to: String
    @Flag(help: "Replace the database already at --to.") var force = false

    func validate() throws {
        guard !PostgresLocation.isURL(to) else {
            throw ValidationError("restore writes a SQLite file; for PostgreSQL use pg_restore (docs/server.md, \"Backups\")")
        }
    }

    func run() async throws {
        if FileManager.default.fileExists(atPath: to) { try ServingLock.holdForReplacing(to) }
        let summary = try SQLiteServerStore.restore(from: from, to: to, force: force)
        print("Restored \(from) to \(to): \(summary.versions) versions, feed at position \(summary.head.seq); start the server on it, and replicas resend what it lacks at their next sync.")
    }
}
