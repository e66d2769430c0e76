import ArgumentParser
import Foundation
import LocalStore
import PostgresStore
import SyncProtocol

/// `sync-server migrate`: a team's SQLite store copied into an empty PostgreSQL database.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a SQLite server database into an empty PostgreSQL one; clients continue by cursor.",
        discussion: """
            Analysts (with their token hashes), replica bindings with their keys, the bundle key, every version and the feed, the conflicts \
            replicas reported, the bundle applies counted, and compartments, clearances, analysts' default compartments, records' \
            compartments and placements are copied in one \
            transaction, and the copy's feed must end at the same position as the source's, or nothing is kept. \
            A sync-server serving the SQLite file (on this machine) makes migrate refuse, since versions it took during \
            the copy would be missed: stop it, migrate, then start the instances on the PostgreSQL URL.
            Example: sync-server migrate --from field.sqlite --to postgres://fieldsync@db.internal/fieldsync
            """
    )

    @Option(help: ArgumentHelp("The SQLite server database to copy.", valueName: "path")) var from: String
    @Option(help: ArgumentHelp("The empty PostgreSQL database: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.", valueName: "url")) var to: String

    func validate() throws {
        guard !PostgresLocation.isURL(from) else { throw ValidationError("--from names the SQLite file to copy, not a postgres:// URL") }
        guard PostgresLocation.isURL(to) else { throw ValidationError("--to must be a postgres:// URL; copying into another SQLite file is a file copy (stop the server, then cp)") }
    }

    func run() async throws {
        let source = try SQLiteServerStore.open(path: from, create: false)
        try ServingLock.holdExclusive(from)
        let location = try PostgresLocation(url: to)
        let target = try await PostgresServerStore.connect(location)
        defer { target.close() }
        let head = try source.feedHead()
        let loaded = try await target.load(analysts: try source.analystsWithTokenHashes(), bindings: try source.bindings(), bundleKey: try source.existingBundleKey(),
                                           conflicts: try source.reportedConflicts(), bundleApplies: try source.bundleApplies(),
                                           access: try source.storedAccess(), head: head) { position in
            // Up to the head taken at the start: a server still writing cannot make the copy chase it.
            guard position.seq < head.seq else { return [] }
            return try source.feedPage(after: position, limit: min(5_000, Int(head.seq - position.seq))).versions
        }
        print("Copied \(loaded.analysts) analysts, \(loaded.replicas) replicas and \(loaded.versions) versions from \(from) to \(location); the feed ends at \(head) on both, so clients continue by cursor.")
        print("Need-to-know: \(loaded.compartments) compartments, \(loaded.clearances) clearances and \(loaded.placements) placements copied, so replicas keep their clearances and follow on.")
    }
}
