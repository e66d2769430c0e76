import Foundation
import Testing
import TestSupport

/// `sync-server backup` and `restore` with the real binaries: a backup taken while clients push,
/// the server killed, the backup restored and served, and nothing any replica wrote lost.
@Suite(.serialized, .ownThreads) struct BackupEndToEndTests {
    @Test func aBackupTakenWhileClientsPushIsRestoredAndTheClientsResendWhatItLacks() throws {
        let seed = testSeeds(count: 1, base: 0xBAC4_0001)[0]
        print("BackupEndToEndTests restore drill: seed \(seed) (rerun with SYNC_TEST_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let workspace = try Workspace()
        // Each request held 100 ms after it commits, so the stream lasts long enough to back up inside.
        var server = try ServerProcess(workspace: workspace, extraArguments: ["--test-pause-after-commit-ms", "100"])
        let port = server.port
        let clients = try (0..<10).map { try server.client("analyst\($0)") }
        for (index, client) in clients.enumerated() {
            try client.ok("import", try LoadDashboard.write(in: workspace, signals: 20, tag: "first-\(index)", random: &random))
        }

        // Every client pushes at once; the backup is taken in the middle of the stream.
        let syncs = try clients.map { try workspace.start("sync-client", ["sync", "--replica", $0.replica, "--page-size", "20"]) }
        // Each sync pulls first, then pushes pages of 20: some pushes, not all, are committed.
        try server.waitForLog("test pause: after-commit", count: 25)
        let backup = try workspace.run("sync-server", ["backup", "--db", server.database, "--to", workspace.path("backup.sqlite")])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("checked (integrity and feed chain)"), "\(backup.stdout)")
        for sync in syncs { #expect(sync.wait().status == 0) }
        let inBackup = try FileCheck.counters(workspace.path("backup.sqlite")).values.reduce(0, +)
        let pushed = try FileCheck.counters(server.database).values.reduce(0, +)
        #expect(inBackup > 0 && inBackup < pushed, "the backup holds \(inBackup) of \(pushed) versions: taken mid-stream")
        // Writes the backup cannot hold, acknowledged by the server that is about to be lost.
        for (index, client) in clients.enumerated() {
            try client.ok("import", try LoadDashboard.write(in: workspace, signals: 5, tag: "after-\(index)", random: &random))
            try client.ok("sync")
        }
        let written = try CrashEndToEndTests.ownCounters(clients)
        server.kill()

        // A restore over the killed server's file needs --force, then the server serves it.
        let refused = try workspace.run("sync-server", ["restore", "--from", workspace.path("backup.sqlite"), "--to", server.database])
        #expect(refused.status != 0 && refused.stderr.contains("already exists; choose another file, or pass --force"), "\(refused.stderr)")
        let restored = try workspace.run("sync-server", ["restore", "--from", workspace.path("backup.sqlite"), "--to", server.database, "--force"])
        #expect(restored.status == 0, "\(restored.stderr)")
        let heldByBackup = try FileCheck.counters(server.database)
        #expect(heldByBackup.values.reduce(0, +) < written.values.reduce(0, +), "the backup was taken before the last writes")
        server = try ServerProcess(workspace: workspace, port: port)
        defer { server.stop() }

        // Each client syncs (resending what the restored server lacks), then once more to pull
        // what the others resent.
        for client in clients + clients { try client.ok("sync") }
        let onServer = try FileCheck.counters(server.database)
        for (replica, count) in written { #expect(onServer[replica] == count, "the server lacks writes of \(replica)") }
        try CrashEndToEndTests.expectConverged(server, clients)
    }

    @Test func aRestoreOverAFileAServerServesIsRefused() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        _ = try server.addAnalyst("alice")
        let backup = try workspace.run("sync-server", ["backup", "--db", server.database, "--to", workspace.path("backup.sqlite")])
        #expect(backup.status == 0, "\(backup.stderr)")
        let again = try workspace.run("sync-server", ["backup", "--db", server.database, "--to", workspace.path("backup.sqlite")])
        #expect(again.status != 0 && again.stderr.contains("backup.sqlite already exists"), "\(again.stderr)")
        let restore = try workspace.run("sync-server", ["restore", "--from", workspace.path("backup.sqlite"), "--to", server.database, "--force"])
        #expect(restore.status != 0, "a served file must not be replaced")
        #expect(restore.stderr.contains("a sync-server is serving"), "\(restore.stderr)")
    }
}
