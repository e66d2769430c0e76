import ArgumentParser
import Foundation
import GRDB
import LocalStore
import SyncModel
import SyncProtocol
import SyncServerCore

struct FirstSync: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "first-sync",
        abstract: "A fresh replica's first sync through the real sync-server and sync-client processes (target ≥ 100,000 versions/s, each under 150 MB)."
    )
    @Option(help: "Versions on the server.") var versions = 1_000_000
    @Option(help: "The client's --page-size (its own default unless given).") var pageSize = SyncSession.defaultPageSize

    func validate() throws {
        try require("--versions", versions, atLeast: 1)
        try requirePageSize(pageSize)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let token = TokenHasher.makeToken(analyst: "alice")
        let source = try BenchFixtures.replica(at: folder.path("source.sqlite"), versions: versions, analyst: "alice")
        let serverStore = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        try serverStore.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 0)
        try await BenchFixtures.seed(serverStore, analyst: "alice", from: source)
        try serverStore.close()
        let plain = try PlainSQLite.insertAll(Workload.changes(count: versions), path: folder.path("plain.sqlite"))

        let server = try BenchServer(database: folder.path("server.sqlite"))
        defer { server.stop() }
        let fresh = folder.path("fresh.sqlite")
        _ = try runTimed("sync-client", ["init", "--replica", fresh, "--server", server.url, "--token", token])
        let sync = try runTimed("sync-client", ["sync", "--replica", fresh, "--page-size", String(pageSize)])
        let serverPeak = server.peakMemory
        // The sync derived the field states itself (opening the file would do it otherwise, untimed).
        let file = try DatabaseQueue(path: fresh)
        let underived = try await file.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'fields_pending'") }
        try file.close()
        guard underived == nil else { throw BenchError("the first sync left its field states underived") }
        let replica = try Replica.open(path: fresh)
        let pulled = try replica.store.versionVector().total
        guard pulled == UInt64(versions) else { throw BenchError("the first sync brought \(pulled) of \(versions) versions") }
        // Field states included (derived at the end of the sync): the same store as the writer's.
        guard try replica.store.canonicalDump() == source.store.canonicalDump() else {
            throw BenchError("the fresh replica's field states differ from the writer's after the first sync")
        }
        table.add("first sync of \(BenchTable().format(Double(versions))) versions, real processes", rate: Double(versions) / sync.seconds,
                  reference: Double(versions) / plain, unit: "versions/s", referenceName: "plain SQLite insert")
        table.add("  peak memory, client / server", value: "\(megabytes(sync.peakMemory)) / \(megabytes(serverPeak))", target: "target < 150 MB each")
    }
}
