import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import LocalStore
import Testing
import TestSupport

@Suite struct ReplicaStoreTests {
    @Test func writesPersistAcrossReopen() throws {
        let folder = TemporaryFolder()
        let path = folder.path("replica.sqlite")
        // Given a replica with two writes
        let created = try Replica.create(path: path, settings: ReplicaSettings(server: "http://127.0.0.1:1", token: "alice.secret", analyst: "alice"))
        try created.write([change("number", .int(20)), change("title", .text("Burden-Sharing"))], at: 1_000)
        let before = try created.store.canonicalDump()
        // When it is opened again
        let reopened = try Replica.open(path: path)
        // Then everything is there, and the counter continues
        #expect(reopened.id == created.id)
        #expect(try reopened.store.canonicalDump() == before)
        #expect(try reopened.store.record(cellID)?.value("title") == .text("Burden-Sharing"))
        let next = try reopened.write([change("tier", .text("Tier 3"))], at: 2_000)
        #expect(next.map(\.dot.counter) == [3])
        #expect(try reopened.settings() == ReplicaSettings(server: "http://127.0.0.1:1", token: "alice.secret", analyst: "alice"))
    }

    @Test func replicaFileIsReadableByItsOwnerOnly() throws {
        let folder = TemporaryFolder()
        let path = folder.path("replica.sqlite")
        _ = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "t.secret", analyst: "t"))
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test func creatingTwiceIsRefusedAndChangesNothing() throws {
        let folder = TemporaryFolder()
        let path = folder.path("replica.sqlite")
        let first = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "a"))
        #expect(throws: StoreError.alreadyInitialized(path: path)) {
            try Replica.create(path: path, settings: ReplicaSettings(server: "http://y", token: "c.d", analyst: "c"))
        }
        #expect(try Replica.open(path: path).id == first.id)
        #expect(try Replica.open(path: path).settings().server == "http://x")
    }

    @Test func localWritesCountUpByOneAndCarryTheFieldContext() throws {
        let replica = try makeEmptyTestReplica()
        let first = try replica.write([change("title", .text("A")), change("title", .text("B"))], at: 1)
        #expect(first.map(\.dot.counter) == [1, 2])
        #expect(first[1].context == VersionVector([replica.id: 1]), "the second write saw the first")
        #expect(try replica.store.record(cellID)?.fields["title"] == FieldSnapshot(value: .text("B"), conflict: nil, headCount: 1))
    }

    @Test func applyingABatchTwiceChangesNothing() throws {
        // Given versions from another replica
        let source = try makeEmptyTestReplica("bob")
        let versions = try source.write([change("number", .int(7)), change("title", .text("T")), change("title", .text("U"))], at: 5)
        let target = try makeEmptyTestReplica()
        // When the batch is applied twice
        let firstReport = try target.store.apply(versions)
        let afterFirst = try target.store.canonicalDump()
        let secondReport = try target.store.apply(versions)
        // Then the second application is all duplicates and the state is byte-identical
        #expect(firstReport.new == 3)
        #expect(secondReport.new == 0 && secondReport.duplicates == 3)
        #expect(try target.store.canonicalDump() == afterFirst)
    }

    @Test func aBatchThatFailsPartWayLeavesNothingBehind() throws {
        let source = try makeEmptyTestReplica("bob")
        let versions = try source.write([change("number", .int(7)), change("title", .text("T")), change("tier", .text("X"))], at: 5)
        let target = try makeEmptyTestReplica()
        try target.store.apply([versions[0]])
        let before = try target.store.canonicalDump()
        // When a batch has a good version followed by a held dot with other content
        var forged = versions[0]
        forged.value = .int(8)
        #expect(throws: VersionRefusal.dotReused(forged.dot)) {
            try target.store.apply([versions[1], forged])
        }
        // Then not even the good version was kept
        #expect(try target.store.canonicalDump() == before)
        #expect(try target.store.versionVector() == VersionVector([source.id: 1]))
    }

    @Test func aReplicaTakesACountersGapAndFillsItLater() throws {
        // The server leaves out versions of records the analyst is not cleared for, and brings
        // them when a clearance is granted: a replica holds a replica's counters with gaps.
        let source = try makeEmptyTestReplica("bob")
        let versions = try source.write([change("number", .int(7)), change("title", .text("T")), change("tier", .text("X"))], at: 5)
        let target = try makeEmptyTestReplica()
        #expect(try target.store.apply([versions[0], versions[2]]).new == 2)
        #expect(try target.store.versionVector() == VersionVector([source.id: 3]))
        #expect(try target.store.record(cellID)?.value("title") != .text("T"))
        let filled = try target.store.apply(versions)
        #expect(filled.new == 1 && filled.duplicates == 2)
        #expect(try target.store.record(cellID)?.value("title") == .text("T"))
        let whole = try makeEmptyTestReplica()
        try whole.store.apply(versions)
        #expect(try target.store.canonicalDump() == whole.store.canonicalDump(), "filled in any order, the replica equals one that got them in order")
    }

    @Test func aReusedDotWithDifferentContentIsRefused() throws {
        let source = try makeEmptyTestReplica("bob")
        let versions = try source.write([change("title", .text("T"))], at: 5)
        let target = try makeEmptyTestReplica()
        try target.store.apply(versions)
        var forged = versions[0]
        forged.value = .text("Different")
        #expect(throws: VersionRefusal.dotReused(forged.dot)) { try target.store.apply([forged]) }
        #expect(try target.store.record(cellID)?.value("title") == .text("T"))
    }

    @Test func invalidVersionsAreRefusedWithTheReason() throws {
        let target = try makeEmptyTestReplica()
        let replica = ReplicaID.random()
        let bad = Version(dot: Dot(replica: replica, counter: 1), context: VersionVector(), record: cellID, kind: "cell",
                          field: "colour", value: .text("red"), author: "bob", time: 0)
        #expect(throws: VersionRefusal.invalid(.unknownField(kind: "cell", field: "colour"))) { try target.store.apply([bad]) }
        #expect(try target.store.versionVector().isEmpty)
    }

    @Test func concurrentRegisterWritesConflictAndAResolvingWriteClosesIt() throws {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        try bob.store.apply(try alice.write([change("number", .int(1)), change("trajectory", .text("Advancing"))], at: 1))
        let fromAlice = try alice.write([change("trajectory", .text("Holding"))], at: 2)
        let fromBob = try bob.write([change("trajectory", .text("Drifting"))], at: 3)
        let aliceReport = try alice.store.apply(fromBob)
        try bob.store.apply(fromAlice)
        let conflicts = try alice.store.conflicts()
        #expect(conflicts.count == 1)
        #expect(aliceReport.newConflicts == conflicts.map(\.id))
        #expect(try bob.store.conflicts().map(\.id) == conflicts.map(\.id), "same id on both replicas")
        #expect(conflicts[0].base?.value == .text("Advancing"))
        #expect(Set(conflicts[0].heads.map(\.value)) == [.text("Holding"), .text("Drifting")])
        // When alice resolves
        let resolution = try alice.write([change("trajectory", .text("Holding"))], at: 4)
        #expect(try alice.store.conflicts().isEmpty)
        try bob.store.apply(resolution)
        #expect(try bob.store.conflicts().isEmpty)
        #expect(try alice.store.canonicalDump() == bob.store.canonicalDump())
    }

    @Test("the store computes the same state as the reference model, whatever the arrival order", arguments: testSeeds(count: 40, base: 30_000))
    func storeMatchesReference(seed: UInt64) throws {
        var history = HistoryGenerator(seed: seed, replicaCount: 3, recordCount: 3)
        history.run(steps: 50)
        let versions = history.allVersions
        var reference = ReferenceModel()
        reference.integrate(versions)
        var random = SplitMix64(seed: seed)
        // Per-replica order is required; interleave replicas at random and cut into random batches.
        var queues = Dictionary(grouping: versions, by: \.dot.replica).mapValues { $0.sorted { $0.dot < $1.dot } }
        var delivery: [Version] = []
        while let replica = queues.keys.sorted().filter({ !queues[$0]!.isEmpty }).randomElement(using: &random) {
            delivery.append(queues[replica]!.removeFirst())
        }
        let first = try makeEmptyTestReplica().store, second = try makeEmptyTestReplica().store
        try first.apply(versions)
        var index = 0
        while index < delivery.count {
            let size = Int.random(in: 1...8, using: &random)
            let batch = Array(delivery[index..<min(delivery.count, index + size)])
            try second.apply(batch + batch.prefix(2))
            index += size
        }
        #expect(try first.canonicalDump() == second.canonicalDump(), "seed \(seed)")
        let stored = try first.read { db in
            var names = ReplicaNames()
            return try Row.fetchAll(db, sql: "SELECT r.uuid, f.name, f.heads, f.value, f.conflict FROM field f JOIN record r ON r.id = f.record").map { row in
                let heads = try names.dots(row, 2, db)
                let value = try StoreCoding.decodeValue(row[3])
                return "\(row[0] as String)/\(row[1] as String) heads=\(heads) value=\(value) conflict=\((row[4] as String?) ?? "-")"
            }.sorted()
        }
        #expect(stored == reference.state(), "seed \(seed): the store disagrees with the reference model")
    }
}

@Suite struct ReplicaIdentityTests {
    @Test("an analyst name a server would refuse is refused when the replica is created", arguments: ["", String(repeating: "a", count: 65), "ali\u{7}ce"])
    func invalidAnalystNames(name: String) {
        #expect(throws: VersionRefusal.self) { try Replica.inMemory(analyst: name) }
    }

    @Test func localWritesAreValidVersionsForAServer() throws {
        let replica = try Replica.inMemory(analyst: "alice")
        let versions = try replica.write([change("relatedCells", .list(["17", "16", "17"])), change("title", .text("T"))], at: 1)
        for version in versions {
            #expect(try VersionRules.validated(version) == version)
        }
        #expect(versions[0].value == .list(["16", "17"]))
    }
}
