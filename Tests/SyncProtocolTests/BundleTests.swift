import Foundation
import GRDB
import LocalStore
import SyncModel
import SyncProtocol
import Testing

/// Bundles between replicas in memory: what they carry, that applying is idempotent and
/// order-free, and that a damaged or forged bundle is refused with a sentence and changes nothing.
@Suite struct BundleTests {
    static func record(_ number: Int) -> RecordID { RecordID(String(format: "b0b0b0b0-0000-4000-8000-%012d", number))! }

    static func write(_ replica: Replica, _ number: Int, _ title: String, at time: Int64 = 1) throws {
        try replica.write([FieldChange(record: record(number), kind: "cell", field: "title", value: .text(title))], at: time)
    }

    static func bundle(of replica: Replica, beyond: VersionVector? = nil) throws -> Data {
        try replica.makeBundle(beyond: beyond, at: 1).data
    }

    static func apply(_ data: Data, to replica: Replica) throws -> BundleApplied {
        try replica.apply(VersionBundle.read(data))
    }

    @Test func aBundleCarriesWritesAndApplyingItTwiceChangesNothing() throws {
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        for number in 1...5 { try Self.write(alice, number, "cell \(number)") }
        let applied = try Self.apply(Self.bundle(of: alice), to: bob)
        #expect(applied.report.new == 5)
        #expect(applied.carried == 5)
        #expect(try bob.store.canonicalDump() == alice.store.canonicalDump())
        let after = try bob.stateDump()
        let again = try Self.apply(Self.bundle(of: alice), to: bob)
        #expect(again.report.new == 0 && again.report.duplicates == 5 && again.carried == 0)
        #expect(try bob.stateDump() == after)
        #expect(try bob.carriedPendingCount() == 5)
    }

    @Test func aFreshReplicaFileDerivesEveryFieldStateInTheSameTransaction() throws {
        // A file's store reads field derivation on a second connection, which cannot see the
        // bundle's uncommitted versions: the apply must derive on its own.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let settings = ReplicaSettings(server: "http://127.0.0.1:1", token: "t", analyst: "bob")
        let alice = try Replica.inMemory(analyst: "alice")
        for number in 1...30 { try Self.write(alice, number, "cell \(number)") }
        let bob = try Replica.create(path: folder.appendingPathComponent("bob.sqlite").path, settings: settings)
        _ = try Self.apply(Self.bundle(of: alice), to: bob)
        #expect(try bob.store.canonicalDump() == alice.store.canonicalDump())
        #expect(try !bob.hasUnderivedFields())
    }

    @Test func rekeyGivesTheNewIdANewSigningKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rekey-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("alice.sqlite").path
        let alice = try Replica.create(path: path, settings: ReplicaSettings(server: "http://127.0.0.1:1", token: "t", analyst: "alice"))
        try Self.write(alice, 1, "before")
        let oldKey = try alice.signingKey().publicKey
        try alice.store.close()
        let report = try Replica.rekey(path: path)
        let rekeyed = try Replica.open(path: path)
        try Self.write(rekeyed, 2, "after")
        #expect(rekeyed.id == report.newID && rekeyed.id != report.oldID)
        #expect(try rekeyed.signingKey().publicKey != oldKey)
        let keys = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT key FROM meta WHERE key LIKE 'signing_key.%'") }
        #expect(keys == ["signing_key.\(report.newID)"], "the old key stays with the old file")
        // The unsynced write moved to the new id travels with the later one, under the new key.
        let bundle = try VersionBundle.read(rekeyed.makeBundle(beyond: VersionVector(), at: 3).data)
        #expect(bundle.header.authors.map(\.replica) == [report.newID])
        #expect(bundle.header.authors.first?.publicKey == (try rekeyed.signingKey().publicKey))
        #expect(bundle.versions.count == 2 && bundle.versions.allSatisfy { $0.dot.replica == report.newID })
    }

    @Test func twoBundlesInEitherOrderGiveTheSameStateAndConflicts() throws {
        let alice = try Replica.inMemory(analyst: "alice"), carol = try Replica.inMemory(analyst: "carol")
        try Self.write(alice, 1, "alice's title")
        try Self.write(alice, 2, "only alice")
        try Self.write(carol, 1, "carol's title")
        try Self.write(carol, 3, "only carol")
        let fromAlice = try Self.bundle(of: alice), fromCarol = try Self.bundle(of: carol)
        let first = try Replica.inMemory(analyst: "bob"), second = try Replica.inMemory(analyst: "dan")
        _ = try Self.apply(fromAlice, to: first)
        _ = try Self.apply(fromCarol, to: first)
        _ = try Self.apply(fromCarol, to: second)
        _ = try Self.apply(fromAlice, to: second)
        #expect(try first.store.canonicalDump() == second.store.canonicalDump())
        #expect(try first.store.conflicts().map(\.id) == second.store.conflicts().map(\.id))
        #expect(try first.store.conflicts().count == 1)
    }

    @Test func aBundleWhosePrerequisitesAreMissingNamesThem() throws {
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try Self.write(alice, 1, "first")
        let early = try Self.bundle(of: alice)
        let held = try alice.store.versionVector()
        try Self.write(alice, 1, "second")
        let later = try alice.makeBundle(beyond: held, at: 2).data
        let before = try bob.stateDump()
        #expect {
            _ = try Self.apply(later, to: bob)
        } throws: { error in
            guard case BundleError.missingPrerequisites(let missing) = error else { return false }
            return missing == ["\(alice.id.short):1-1 (alice)"] && "\(error)".contains("Nothing was applied")
        }
        #expect(try bob.stateDump() == before)
        _ = try Self.apply(early, to: bob)
        _ = try Self.apply(later, to: bob)
        #expect(try bob.store.canonicalDump() == alice.store.canonicalDump())
    }

    @Test func anotherAnalystsVersionsTravelOnUnderTheirAuthorsSignature() throws {
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob"), carol = try Replica.inMemory(analyst: "carol")
        try Self.write(alice, 1, "from alice")
        _ = try Self.apply(Self.bundle(of: alice), to: bob)
        try Self.write(bob, 2, "from bob")
        let relayed = try VersionBundle.read(Self.bundle(of: bob))
        #expect(Set(relayed.header.covers.map(\.replica)) == [alice.id, bob.id])
        #expect(relayed.header.signatures.contains { $0.replica == alice.id })
        _ = try carol.apply(relayed)
        #expect(try carol.store.versionVector() == bob.store.versionVector())
    }

    @Test func forBringsWhatAPeerIsKnownToLack() throws {
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try Self.write(alice, 1, "one")
        try Self.write(bob, 2, "two")
        _ = try Self.apply(Self.bundle(of: bob), to: alice)
        // Alice's own writes the server lacks, plus what bob is known to lack: nothing of his own.
        let holds = try #require(try alice.peerHolds("bob"))
        let bundle = try VersionBundle.read(alice.makeBundle(beyond: holds, at: 3).data)
        #expect(bundle.header.covers.map(\.replica) == [alice.id])
        #expect(try alice.peerHolds("nobody") == nil)
    }
}
