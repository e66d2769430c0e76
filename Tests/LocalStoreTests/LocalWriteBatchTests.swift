import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// A batch of local writes is taken field by field, in record and field order (see
/// ``ApplyBatch/writeLocal(_:values:replica:author:time:)``); what it stores, returns and
/// refuses must be exactly what taking the changes one by one in the batch's order gives.
@Suite struct LocalWriteBatchTests {
    /// `replica` taking batches field by field (`grouped`) or one change at a time, every write direct.
    static func replica(_ replica: Replica, grouped: Bool) -> Replica {
        reconfigured(replica) { store in
            store.groupsLocalWrites = grouped
            store.writeLogCapacity = 0
        }
    }

    static func storedVersions(_ replica: Replica) throws -> Int {
        try replica.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM version") ?? 0 }
    }

    @Test func aBatchChainsEachFieldsWritesInTheBatchsOrderAndReturnsThemInIt() throws {
        let replica = Self.replica(try makeEmptyTestReplica(), grouped: true)
        let other = RecordID("66666666-6666-4666-8666-666666666666")!
        try replica.write([change("number", .int(20)), change("title", .text("Before"))], at: 1)
        let written = try replica.write([
            change("title", .text("One")), change("title", .text("New"), record: other), change("tier", .text("Tier 1")),
            change("title", .text("Two")), change("title", .text("Newer"), record: other),
        ], at: 2)
        #expect(written.map(\.dot.counter) == [3, 4, 5, 6, 7], "the n-th change is the n-th version")
        #expect(written.map(\.field) == ["title", "title", "tier", "title", "title"])
        #expect(written[0].context == VersionVector([replica.id: 2]), "it supersedes the stored title")
        #expect(written[3].context == VersionVector([replica.id: 3]), "it supersedes the batch's own first title")
        #expect(written[1].context == VersionVector() && written[4].context == VersionVector([replica.id: 4]))
        #expect(try replica.store.record(cellID)?.value("title") == .text("Two"))
        #expect(try replica.store.record(cellID)?.fields["title"]?.headCount == 1)
        #expect(try replica.store.record(other)?.value("title") == .text("Newer"))
        #expect(try replica.store.versionVector() == VersionVector([replica.id: 7]))
    }

    /// The first change to fail, in the batch's order, is the one reported, and nothing is written.
    @Test func aBatchReportsItsFirstFailingChangeAndWritesNothing() throws {
        let replica = Self.replica(try makeEmptyTestReplica(), grouped: true)
        let signal = RecordID("77777777-7777-4777-8777-777777777777")!
        let fresh = RecordID("88888888-8888-4888-8888-888888888888")!
        try replica.write([change("number", .int(20)), change("title", .text("A cell"))], at: 1)
        try replica.write([change("title", .text("A signal"), record: signal, kind: "signal")], at: 1)
        let before = try replica.store.canonicalDump()

        // A wrong kind before an invalid value: the wrong kind is reported.
        #expect(throws: VersionRefusal.kindMismatch(record: signal, known: "signal", got: "cell")) {
            try replica.write([change("title", .text("Fine")), change("title", .text("Wrong"), record: signal),
                               change("number", .text("not a number"))], at: 2)
        }
        // An invalid value before a wrong kind: the invalid value is.
        #expect(throws: VersionRefusal.invalid(.wrongValue(field: "number", expected: "an integer", got: "text"))) {
            try replica.write([change("number", .text("not a number")), change("title", .text("Wrong"), record: signal)], at: 2)
        }
        // A record the store lacks takes the kind of its first change in the batch, even when
        // a field sorted before it comes later.
        #expect(throws: VersionRefusal.kindMismatch(record: fresh, known: "signal", got: "cell")) {
            try replica.write([change("title", .text("First"), record: fresh, kind: "signal"),
                               change("number", .int(3), record: fresh)], at: 2)
        }
        // Of two wrong kinds, the earlier in the batch, not the first record in id order.
        #expect(cellID < signal)
        #expect(throws: VersionRefusal.kindMismatch(record: signal, known: "signal", got: "cell")) {
            try replica.write([change("title", .text("Fine"), record: fresh),
                               change("title", .text("Wrong"), record: signal),
                               change("title", .text("Wrong"), record: cellID, kind: "signal")], at: 2)
        }
        #expect(try replica.store.canonicalDump() == before, "nothing was written")
    }

    /// Random batches on two replicas with the same id, one taking them field by field and one
    /// change by change, fed the same versions from a peer: every write returns (or refuses)
    /// the same, every read gives the same records, and the stores end the same.
    @Test("grouped batches end exactly where change-by-change ones do", arguments: testSeeds(count: 40, base: 93_000))
    func groupedBatchesEqualOnesTakenChangeByChange(seed: UInt64) throws {
        let id = ReplicaID.random()
        let grouped = Self.replica(try Replica.inMemory(analyst: "alice", id: id), grouped: true)
        let oneByOne = Self.replica(try Replica.inMemory(analyst: "alice", id: id), grouped: false)
        var work = try TwinReplicaWork(seed: seed)
        try work.run(grouped, oneByOne, steps: 100) { Int($0.next() % 12) + 2 }
        #expect(try Self.storedVersions(grouped) > 0, "seed \(seed): the batches wrote something")
    }
}
