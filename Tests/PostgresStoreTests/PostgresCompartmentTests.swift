import Foundation
import PostgresStore
import StoreKinds
import SyncModel
import SyncProtocol
import Testing
import TestSupport
import ThrowawayPostgres

/// Need-to-know on PostgreSQL beyond the storage contract: several instances on one database,
/// the step that adds compartments to a database of an earlier release, and the second
/// compartment made while a push is being stored.
@Suite struct PostgresCompartmentTests {
    static func connect(_ url: String, pauses: CommitPauses = CommitPauses()) async throws -> PostgresServerStore {
        try await PostgresServerStore.inTest(url, pauses: pauses)
    }

    @Test func twoInstancesOnOneDatabasePlaceRecordsAlikeUnderConcurrentPushesAndMoves() async throws {
        let url = try await PostgresCluster.shared().makeDatabase()
        let first = try await Self.connect(url), second = try await Self.connect(url)
        defer { first.close(); second.close() }
        try await ServerStorageContract.checkConcurrentPlacements(on: [first, second])
    }

    @Test func aDatabaseOfTheLastReleaseGainsCompartmentsWithEveryAnalystClearedForTheDefault() async throws {
        let cluster = try await PostgresCluster.shared()
        let url = try await cluster.makeDatabase()
        let database = String(url.split(separator: "/").last!)
        let record = RecordID("61616161-1111-4111-8111-111111111111")!
        try cluster.psql((PostgresSchema.sql(through: "6-bundle-applies") + [
            "INSERT INTO analyst (name, token_hash, created) VALUES ('alice', 'hash-alice', 1), ('bob', 'hash-bob', 2)",
            "INSERT INTO record (id, kind) VALUES ('\(record.rawValue)', 'cell')",
        ]).joined(separator: ";\n"), database: database)
        let store = try await Self.connect(url)
        defer { store.close() }
        let clearances = try await store.clearances(analyst: nil)
        #expect(clearances.map { "\($0.analyst) \($0.clearance.compartment) \($0.clearance.write)" } == ["alice default true", "bob default true"])
        #expect(try await store.compartments(of: record) == ["default"])
        #expect(try await store.compartments().map { "\($0.name) \($0.records)" } == ["default 1"])
        // New compartments are numbered after the default one.
        try await store.addCompartment("east", at: 3)
        try await store.grant(analyst: "bob", compartment: "east", write: true)
        #expect(try await store.clearances(analyst: "bob").map(\.clearance.compartment) == ["default", "east"])
    }

    /// A store loaded from one that keeps no need-to-know (as `sync-bench` fills one) clears every
    /// analyst to write the default compartment, as a new analyst is.
    @Test func aLoadWithoutNeedToKnowClearsEveryAnalystForTheDefaultCompartment() async throws {
        let store = try await Self.connect(try await PostgresCluster.shared().makeDatabase())
        defer { store.close() }
        let alice = ReplicaID("a1a1a1a1-0000-4000-8000-000000000001")!, cell = RecordID("81818181-1111-4111-8111-111111111111")!
        let versions = (1...2).map { counter in
            Version(dot: Dot(replica: alice, counter: UInt64(counter)), context: VersionVector(), record: cell, kind: "cell", field: "title",
                    value: .text("title \(counter)"), author: "alice", time: Int64(counter))
        }
        let head = versions.reduce(FeedCursor.start) { $0.advanced(by: $1.dot) }
        let loaded = try await store.load(analysts: ["alice", "bob"].map { (Analyst(name: $0, created: 0, revoked: nil), "hash-\($0)") },
                                          bindings: [(alice, "alice", 0, nil)], head: head) { position in position == .start ? versions : [] }
        #expect(loaded.versions == 2 && loaded.clearances == 2)
        let clearances = try await store.clearances(analyst: nil)
        #expect(clearances.map { "\($0.analyst) \($0.clearance.compartment) \($0.clearance.write)" } == ["alice default true", "bob default true"])
        let pulled = try await store.exchange(analyst: "bob", clientVector: VersionVector(), versions: [], pageLimit: 10, at: 3)
        #expect(pulled.versions == versions)
    }

    /// Adding the second compartment waits for a push being stored, and then notes its cells'
    /// numbers, so that a signal tagged to one of them later takes the cell's compartment.
    @Test func theSecondCompartmentWaitsForAPushInFlightAndNotesItsCellNumbers() async throws {
        let url = try await PostgresCluster.shared().makeDatabase()
        let paused = PauseOnce()
        let pushing = try await Self.connect(url, pauses: CommitPauses(beforeCommit: { paused.pause() }, afterCommit: { paused.noteCommitted() }))
        let admin = try await Self.connect(url)
        defer { pushing.close(); admin.close() }
        for name in ["alice", "bob"] { try await admin.addAnalyst(name: name, tokenHash: "hash-\(name)", at: 0) }
        let alice = ReplicaID("a1a1a1a1-0000-4000-8000-000000000001")!, bob = ReplicaID("b0b0b0b0-0000-4000-8000-000000000002")!
        let cell = RecordID("71717171-1111-4111-8111-111111111111")!, signal = RecordID("72727272-2222-4222-8222-222222222222")!
        let push = Task {
            try await pushing.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                       versions: [Version(dot: Dot(replica: alice, counter: 1), context: VersionVector(), record: cell, kind: "cell",
                                                          field: "number", value: .int(20), author: "alice", time: 1)],
                                       pageLimit: 10, at: 1)
        }
        try await paused.waitUntilPaused()
        try await admin.addCompartment("east", at: 2)
        // Ordered by what happened, not by how long it took: the push had committed.
        #expect(paused.committed, "made only once the push had committed")
        _ = try await push.value
        try await admin.grant(analyst: "alice", compartment: "east", write: true)
        try await admin.move(record: cell, to: "east", by: "alice", at: 3)
        await #expect(throws: AccessRefusal.notCleared(analyst: "bob", records: [signal], compartments: [])) {
            _ = try await admin.exchange(analyst: "bob", requester: bob, clientVector: VersionVector(),
                                         versions: [Version(dot: Dot(replica: bob, counter: 1), context: VersionVector(), record: signal, kind: "signal",
                                                            field: "cells", value: .list(["20"]), author: "bob", time: 4)],
                                         pageLimit: 10, at: 4)
        }
    }
}

/// A pause taken once, inside a push's transaction, for a second; its taker's test waits for it,
/// and learns when the push committed.
private final class PauseOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = false
    private var paused = false
    private var didCommit = false

    /// Whether the paused push has committed.
    var committed: Bool { lock.withLock { didCommit } }

    func noteCommitted() { lock.withLock { didCommit = true } }

    /// Blocks the first caller for a second (a transaction holding the feed head meanwhile).
    func pause() {
        let first = lock.withLock {
            defer { taken = true }
            return !taken
        }
        guard first else { return }
        lock.withLock { paused = true }
        Thread.sleep(forTimeInterval: 1.5)
    }

    func waitUntilPaused() async throws {
        while !lock.withLock({ paused }) { try await Task.sleep(for: .milliseconds(10)) }
    }
}
