import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import Testing

/// A server file written by the release before the server got a store of its own (kept in
/// Fixtures/release-f5632ea with two of its replicas; Fixtures/README.md says how they were
/// made) upgrades in place: every version, record, feed entry, analyst, binding and key is
/// kept, clients' cursors stay valid, and syncing goes on.
@Suite struct ServerUpgradeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/release-f5632ea")

    /// The fixtures copied to a fresh folder (the upgrade writes to them), which lives as long
    /// as the returned value.
    static func copies() throws -> (folder: TemporaryFolder, server: String, alice: String, bob: String) {
        let folder = TemporaryFolder()
        var paths: [String] = []
        for name in ["server.sqlite", "alice.sqlite", "bob.sqlite"] {
            let copy = folder.path(name)
            try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent(name).path, toPath: copy)
            paths.append(copy)
        }
        return (folder, paths[0], paths[1], paths[2])
    }

    /// The dump, bundle key and tables of the server file at `path`, read as it is.
    static func rawState(_ path: String) throws -> (dump: String, bundleKey: String?, tables: [String]) {
        let old = try DatabaseQueue(path: path)
        defer { try? old.close() }
        return try old.read { db in
            (try SQLiteServerStore.canonicalLines(db).joined(separator: "\n"),
             try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'bundle_key'"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        }
    }

    @Test func anOlderServerFileUpgradesKeepingEverythingItServes() async throws {
        let files = try Self.copies()
        // What the old file holds, read before anything opens it as a store.
        let (before, oldKey, oldTables) = try Self.rawState(files.server)
        #expect(oldTables.contains("field"), "the fixture is a file of the earlier layout")
        #expect(before.contains("feed ") && before.contains("owner ") && before.contains("analyst \"carol\""), "the fixture holds a feed, bindings and a revoked analyst")

        let store = try SQLiteServerStore.open(path: files.server, create: false)
        #expect(try store.canonicalDump() == before, "every version, record, feed entry, analyst and binding is kept")
        #expect(try store.existingBundleKey()?.privateKey.base64EncodedString() == oldKey)
        let tables = try store.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(!tables.contains("field"), "field states are gone: the server never reads them")
        #expect(try store.analysts().map(\.name) == ["alice", "bob", "carol"])
        #expect(try await store.activeAnalyst(named: "carol") == nil, "a revoked analyst stays revoked")

        // Alice's cursor, saved before the upgrade, is still a position of the feed.
        let alice = try Replica.open(path: files.alice)
        let cursor = try #require(try alice.syncStart().cursor)
        #expect(try store.read { db in try ServerFeed.honours(cursor, db) } && cursor == (try store.feedHead()))

        // Bob's offline writes reach the upgraded server, and Alice gets them by her cursor.
        let bob = try Replica.open(path: files.bob)
        var bobSync = SyncDriver(replica: bob)
        try await bobSync.run(over: InProcessTransport(store: store, analyst: "bob"))
        #expect(bobSync.stats.sent == 2)
        var aliceSync = SyncDriver(replica: alice)
        try await aliceSync.run(over: InProcessTransport(store: store, analyst: "alice"))
        #expect(aliceSync.stats.received == 2)
        #expect(try alice.syncStart().cursor == (try store.feedHead()))
        var bobAgain = SyncDriver(replica: bob)
        try await bobAgain.run(over: InProcessTransport(store: store, analyst: "bob"))
        #expect(try alice.store.canonicalDump() == (try bob.store.canonicalDump()), "both replicas converge")
        #expect(!(try alice.store.conflicts().isEmpty), "the conflict made before the upgrade is still open")
    }
}
