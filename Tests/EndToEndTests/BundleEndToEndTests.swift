import Foundation
import GRDB
import Testing
import TestSupport

/// Bundles with the real binaries: a USB stick between analysts, and a courier to the office.
@Suite(.serialized, .ownThreads) struct BundleEndToEndTests {
    @Test func workHandedOnAStickReachesTheServerAndEveryoneAgreesOnTheConflicts() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        let carol = try server.client("carol")
        try carol.ok("cell", "create", "--number", "7", "--title", "Energy Dominance")
        for client in [carol, alice, bob] { try client.ok("sync") }

        // In the field, alice has no network for weeks; bob's laptop reaches the server later.
        try alice.ok("cell", "create", "--number", "20", "--title", "Alliance Architecture")
        try alice.ok("cell", "set", "20", "trajectory", "Advancing")
        try alice.ok("cell", "set", "7", "trend", "Exports up")
        try bob.ok("cell", "set", "7", "trend", "Exports flat")
        let stick = workspace.path("stick.fsbundle")
        let created = try alice.ok("bundle", "create", "--output", stick)
        #expect(created.contains("Wrote bundle") && created.contains("(alice 4)"), "\(created)")
        let shown = try workspace.run("sync-client", ["bundle", "show", stick])
        #expect(shown.status == 0 && shown.stdout.contains("from:     alice") && shown.stdout.contains("signatures checked"), "\(shown.stdout)\(shown.stderr)")

        // A stick damaged on the way is refused with a sentence, and changes nothing.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: stick)))
        bytes[bytes.count / 2] ^= 0x20
        let damaged = workspace.path("damaged.fsbundle")
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let before = try bob.ok("dashboard", "--json")
        let refused = try bob.fails("bundle", "apply", damaged)
        #expect(refused.stderr.contains("the bundle is damaged") && refused.stderr.contains("Nothing was applied"), "\(refused.stderr)")
        #expect(try bob.ok("dashboard", "--json") == before)
        // Named as what the receiver holds, it is refused as that, and no file is written.
        let unread = workspace.path("unread.fsbundle")
        let since = try bob.fails("bundle", "create", "--output", unread, "--since", damaged)
        #expect(since.stderr.contains("--since \(damaged) cannot be read") && since.stderr.contains("no file was written")
                && !since.stderr.contains("Nothing was applied") && !FileManager.default.fileExists(atPath: unread), "\(since.stderr)")

        let applied = try bob.ok("bundle", "apply", stick)
        #expect(applied.contains("new 4") && applied.contains("new conflicts 1") && applied.contains("Carrying 4 versions"), "\(applied)")
        #expect((try bob.json("status") as? [String: Any])?["carrying"] as? Int == 4)
        let again = try bob.ok("bundle", "apply", stick)
        #expect(again.contains("new 0, already held 4"), "\(again)")
        let synced = try bob.ok("sync")
        #expect(synced.contains("sent 5"), "bob's own write and alice's four: \(synced)")
        #expect((try bob.json("status") as? [String: Any])?["carrying"] as? Int == 0)

        // Carol gets alice's work only through the server; alice syncs when she is back.
        try carol.ok("sync")
        let carolsCell = try #require(try carol.json("cell", "show", "20") as? [String: Any])
        #expect((carolsCell["fields"] as? [String: Any])?["trajectory"] as? String == "Advancing", "\(carolsCell)")
        try alice.ok("sync")
        try bob.ok("sync")
        let dashboards = try [alice, bob, carol].map { try $0.ok("dashboard", "--json") }
        #expect(dashboards[0] == dashboards[1] && dashboards[1] == dashboards[2])
        let conflicts = try [alice, bob, carol].map { try #require(try $0.json("conflicts") as? [[String: Any]]).compactMap { $0["id"] as? String } }
        #expect(conflicts[0].count == 1 && conflicts[0] == conflicts[1] && conflicts[1] == conflicts[2], "\(conflicts)")
        #expect((try alice.json("status") as? [String: Any])?["pending"] as? Int == 0)
    }

    @Test func aCourierBringsABundleToTheServerItself() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        let carol = try server.client("carol")
        try alice.ok("sync")
        try alice.ok("cell", "create", "--number", "4", "--title", "Supply Chains")
        let stick = workspace.path("courier.fsbundle")
        try alice.ok("bundle", "create", "--output", stick)
        let taken = try workspace.run("sync-server", ["bundle", "apply", stick, "--db", server.database])
        #expect(taken.status == 0 && taken.stdout.contains("stored 2 new versions"), "\(taken.stdout)\(taken.stderr)")
        let twice = try workspace.run("sync-server", ["bundle", "apply", stick, "--db", server.database])
        #expect(twice.status == 0 && twice.stdout.contains("stored 0 new versions, 2 already held"), "\(twice.stdout)\(twice.stderr)")
        try carol.ok("sync")
        let cell = try #require(try carol.json("cell", "show", "4") as? [String: Any])
        #expect((cell["fields"] as? [String: Any])?["title"] as? String == "Supply Chains", "\(cell)")

        // A replica that never synced has no key on the server: its bundle is refused, naming why.
        let stranger = try Client(workspace: workspace, name: "stranger", server: server, token: try server.addAnalyst("dave"))
        try stranger.ok("cell", "create", "--number", "5", "--title", "Unvouched")
        let unknown = workspace.path("unknown.fsbundle")
        try stranger.ok("bundle", "create", "--output", unknown)
        let refused = try workspace.run("sync-server", ["bundle", "apply", unknown, "--db", server.database])
        #expect(refused.status != 0 && refused.stderr.contains("has never synced with this server"), "\(refused.stderr)")
        try carol.ok("sync")
        #expect(try carol.fails("cell", "show", "5").stderr.contains("no cell numbered 5"))
    }

    @Test func aStickEncryptedToTheServerLeaksNothingAndOnlyTheServerOpensIt() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        // init fetched the server's bundle key: bob, who never synced, can seal a bundle.
        try bob.ok("cell", "create", "--number", "8", "--title", "Bob's Offline Cell")
        #expect(try bob.ok("bundle", "create", "--output", workspace.path("bob.fsbundle"), "--encrypt-to", "server").contains("Encrypted to"))
        try alice.ok("sync")  // binds alice's key, which the server checks her bundle against
        try alice.ok("cell", "create", "--number", "9", "--title", "Northern Flank Posture")
        let stick = workspace.path("sealed.fsbundle")
        let created = try alice.ok("bundle", "create", "--output", stick, "--encrypt-to", "server")
        #expect(created.contains("Encrypted to the sync server's key"), "\(created)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: stick))
        #expect(bytes.range(of: Data("Northern Flank".utf8)) == nil && bytes.range(of: Data("alice".utf8)) == nil, "nothing readable on the stick")

        let shown = try workspace.run("sync-client", ["bundle", "show", stick])
        #expect(shown.status == 0 && shown.stdout.contains("encrypted to the sync server's key"), "\(shown.stdout)\(shown.stderr)")
        let refused = try bob.fails("bundle", "apply", stick)
        #expect(refused.stderr.contains("only the server can open it") && refused.stderr.contains("sync-server bundle apply"), "\(refused.stderr)")
        #expect(try bob.fails("bundle", "create", "--output", workspace.path("x"), "--encrypt-to", "carol").stderr.contains("--encrypt-to takes 'server'"))

        let taken = try workspace.run("sync-server", ["bundle", "apply", stick, "--db", server.database])
        #expect(taken.status == 0 && taken.stdout.contains("stored 2 new versions"), "\(taken.stdout)\(taken.stderr)")
        try bob.ok("sync")
        let cell = try #require(try bob.json("cell", "show", "9") as? [String: Any])
        #expect((cell["fields"] as? [String: Any])?["title"] as? String == "Northern Flank Posture", "\(cell)")

        // Another server's database cannot open it.
        let elsewhere = try ServerProcess(workspace: workspace, database: "elsewhere.sqlite")
        defer { elsewhere.stop() }
        let wrong = try workspace.run("sync-server", ["bundle", "apply", stick, "--db", elsewhere.database])
        #expect(wrong.status != 0 && wrong.stderr.contains("encrypted to another server's key"), "\(wrong.stderr)")
    }

    @Test func aForgedStickIsRefusedByAnyoneWhoSyncedSinceItsAuthorDid() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        let bob = try server.client("bob")
        let carol = try server.client("carol")
        try carol.ok("sync")  // before alice's first sync: carol never learns alice's key
        try alice.ok("sync")
        try alice.ok("cell", "create", "--number", "3", "--title", "Genuine")
        try alice.ok("sync")
        try bob.ok("sync")  // bob learns alice's key from the server

        // Mallory copies alice's file, swaps in a key of their own and writes in her name.
        let forgedPath = workspace.path("forged.sqlite")
        try FileManager.default.copyItem(atPath: alice.replica, toPath: forgedPath)
        let file = try DatabaseQueue(path: forgedPath)
        try file.write { db in
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key LIKE 'signing_key.%'",
                           arguments: [Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()])
        }
        try file.close()
        let mallory = Client(workspace: workspace, replica: forgedPath)
        try mallory.ok("cell", "set", "3", "title", "Forged")
        let stick = workspace.path("forged.fsbundle")
        try mallory.ok("bundle", "create", "--output", stick)
        let refused = try bob.fails("bundle", "apply", stick)
        #expect(refused.stderr.contains("with a signing key other than the one known here"), "\(refused.stderr)")
        let cell = try #require(try bob.json("cell", "show", "3") as? [String: Any])
        #expect((cell["fields"] as? [String: Any])?["title"] as? String == "Genuine")
        // The server refuses it too: the copy's own sync is told its key is not the bound one.
        #expect(try mallory.fails("sync").stderr.contains("bound to another signing key"))

        // Carol, who never heard of alice's key, takes the forged stick; when alice's genuine
        // write under the same dot reaches her through the server, she is told what happened.
        let forCarol = workspace.path("forged-for-carol.fsbundle")
        try mallory.ok("bundle", "create", "--for", "carol", "--output", forCarol)
        try carol.ok("bundle", "apply", forCarol)
        try alice.ok("cell", "set", "3", "title", "Genuine, later")
        try alice.ok("sync")
        let told = try carol.fails("sync")
        #expect(told.stderr.contains("came here in a bundle") && told.stderr.contains("the bundle was forged") && told.stderr.contains("sync-client init"), "\(told.stderr)")
    }
}
