import Foundation
import LocalStore
import StoreKinds
import SyncModel
import SyncProtocol
import Testing

/// Versions received by bundle reach the server through whoever syncs next, on both storages.
@Suite struct CarriedSyncTests {
    static func sync(_ replica: Replica, _ server: TestServer) async throws -> SyncStats {
        var driver = SyncDriver(replica: replica)
        try await driver.run(over: server.transport(analyst: replica.analyst))
        return driver.stats
    }

    @Test(arguments: StoreKind.allCases)
    func workCarriedByAColleagueReachesEveryoneWithTheSameConflicts(kind: StoreKind) async throws {
        let server = try await kind.server(analysts: ["alice", "bob", "carol"])
        defer { server.close() }
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob"), carol = try Replica.inMemory(analyst: "carol")
        for replica in [alice, bob, carol] { _ = try await Self.sync(replica, server) }
        // Offline: alice and bob both retitle cell 1; alice also writes cell 2.
        try BundleTests.write(alice, 1, "alice's title")
        try BundleTests.write(alice, 2, "alice only")
        try BundleTests.write(bob, 1, "bob's title")
        _ = try bob.apply(VersionBundle.read(alice.makeBundle(beyond: nil, at: 1).data))
        #expect(try bob.carriedPendingCount() == 2)
        let carried = try await Self.sync(bob, server)
        #expect(carried.sent == 3 && carried.refusedCarried.isEmpty)
        #expect(try bob.carriedPendingCount() == 0)
        _ = try await Self.sync(carol, server)
        #expect(try carol.store.versionVector() == bob.store.versionVector(), "carol got alice's work only through the server")
        _ = try await Self.sync(alice, server)
        #expect(try alice.pendingCount() == 0)
        #expect(try alice.store.canonicalDump() == carol.store.canonicalDump())
        #expect(try bob.store.canonicalDump() == carol.store.canonicalDump())
        let conflicts = try carol.store.conflicts().map(\.id)
        #expect(conflicts.count == 1)
        #expect(try alice.store.conflicts().map(\.id) == conflicts && bob.store.conflicts().map(\.id) == conflicts)
    }

    @Test(arguments: StoreKind.allCases)
    func aForgedCarriedRangeIsRefusedAndTheSyncGoesOn(kind: StoreKind) async throws {
        let server = try await kind.server(analysts: ["alice", "bob"])
        defer { server.close() }
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        _ = try await Self.sync(alice, server)
        try BundleTests.write(alice, 1, "genuine")
        // Mallory signs a bundle of alice's replica id with a key of their own; bob, who never
        // saw alice's key, takes it, and carries it to the server, which knows her real key.
        var forged = try alice.store.versions(notCoveredBy: VersionVector(), limit: 10).versions
        forged[0].value = .text("forged")
        let mallory = SigningKey.generate()
        let author = VersionBundle.Author(replica: alice.id, analyst: "alice", publicKey: mallory.publicKey)
        let bundle = VersionBundle(sender: author, versions: forged, signatures: mallory.signRanges(forged), authors: [author],
                                   holds: VersionVector(), created: 1)
        _ = try bob.apply(VersionBundle.read(bundle.encoded(signedBy: mallory)))
        try BundleTests.write(bob, 2, "bob's own")
        let stats = try await Self.sync(bob, server)
        #expect(stats.refusedCarried.map(\.code) == [.badSignature])
        #expect(stats.refusedCarried.first?.range.replica == alice.id)
        #expect(try bob.pendingCount() == 0, "bob's own write went through")
        #expect(try bob.carriedPendingCount() == 0, "the forged range is carried no more")
        #expect(try await Self.sync(bob, server).refusedCarried.isEmpty)
        _ = try await Self.sync(alice, server)
        #expect(try alice.store.record(BundleTests.record(1))?.text("title") == "genuine")
    }
}
