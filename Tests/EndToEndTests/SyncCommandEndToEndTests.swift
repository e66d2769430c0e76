import Foundation
import Testing
import TestSupport

/// `sync-client sync` as a person meets it on a bad day: a mistyped address, and Ctrl-C in the
/// middle of a long sync.
@Suite(.serialized, .ownThreads) struct SyncCommandEndToEndTests {
    @Test func anAddressWithoutASchemeOrWithAPathSaysWhatToType() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        let bare = server.url.replacingOccurrences(of: "http://", with: "")
        let noScheme = try alice.fails("sync", "--server", bare)
        #expect(noScheme.stderr.contains("'\(bare)' is not a server URL: add http:// or https:// in front, like http://\(bare)"), "\(noScheme.stderr)")
        let fromEnvironment = try workspace.run("sync-client", ["sync", "--replica", alice.replica], environment: ["SYNC_SERVER": bare])
        #expect(fromEnvironment.status != 0 && fromEnvironment.stderr.contains("add http:// or https://"), "\(fromEnvironment.stderr)")
        let created = try workspace.run("sync-client", ["init", "--replica", workspace.path("other.sqlite"), "--server", bare, "--token", "alice.abcdefghijklmnopqrstuvwxyz"])
        #expect(created.status != 0 && created.stderr.contains("add http:// or https://"), "\(created.stderr)")
        let withPath = try alice.fails("sync", "--server", server.url + "/v1")
        #expect(withPath.stderr.contains("\(server.url)/v1 is not a field-sync server: it answered 404"), "\(withPath.stderr)")
        #expect(withPath.stderr.contains("its root, like http://127.0.0.1:8080, with no /v1"), "\(withPath.stderr)")
        // Nothing was sent by the refused syncs; the right address still works.
        #expect(!(try alice.ok("status").contains("Pending  nothing to send")))
        try alice.ok("sync")
        #expect(try alice.ok("status").contains("Pending  nothing to send"))
    }

    @Test func ctrlCInALongSyncSaysNothingIsLostAndTheNextSyncGoesOn() throws {
        let workspace = try Workspace()
        // Each answer waits after its commit, so the sync is surely in flight when Ctrl-C comes.
        let server = try ServerProcess(workspace: workspace, extraArguments: ["--test-pause-after-commit-ms", "1500"])
        defer { server.stop() }
        let alice = try server.client("alice")
        for number in 1...5 { try alice.ok("cell", "create", "--number", String(number), "--title", "Cell \(number)") }
        let sync = try workspace.start("sync-client", ["sync", "--replica", alice.replica, "--page-size", "2"])
        try server.waitForLog("test pause: after-commit", count: 2)
        sync.kill(SIGINT)
        let interrupted = sync.wait()
        #expect(interrupted.status == 130, "\(interrupted.stderr)")
        #expect(interrupted.stderr.contains("Interrupted; run `sync-client sync` again to go on — nothing is lost"), "\(interrupted.stderr)")
        // The pages the server took stay taken; the next sync sends the rest.
        try alice.ok("sync")
        #expect(try alice.ok("status").contains("Pending  nothing to send"))
        let bob = try server.client("bob")
        try bob.ok("sync")
        let cells = try #require(try bob.json("cell", "list") as? [Any])
        #expect(cells.count == 5, "every cell alice wrote reached bob: \(cells.count)")
    }
}
