import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// A fresh replica's first sync stores pages without field states and derives them at the end;
/// the result must be exactly what applying every page in full gives.
@Suite struct DeferredFieldsTests {
    /// A random history of four replicas, plus deletes (one of them against an unseen edit),
    /// in an order a server's feed could send: each replica's versions in counter order.
    static func history(seed: UInt64) throws -> [Version] {
        var generator = HistoryGenerator(seed: seed, replicaCount: 4, recordCount: 12)
        generator.run(steps: 300)
        var random = SplitMix64(seed: seed)
        var queues = Dictionary(grouping: generator.allVersions + (try RecordRowsUpgradeTests.history()), by: \.dot.replica)
            .mapValues { $0.sorted { $0.dot < $1.dot } }
        var delivery: [Version] = []
        while let replica = queues.keys.sorted().filter({ !queues[$0]!.isEmpty }).randomElement(using: &random) {
            delivery.append(queues[replica]!.removeFirst())
        }
        return delivery
    }

    static func pages(_ versions: [Version], size: Int) -> [[Version]] {
        stride(from: 0, to: versions.count, by: size).map { Array(versions[$0..<min($0 + size, versions.count)]) }
    }

    static func fieldRows(_ replica: Replica) throws -> Int {
        try replica.store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM field") ?? 0 }
    }

    static func isPending(_ replica: Replica) throws -> Bool {
        try replica.hasUnderivedFields()
    }

    @Test("deferred pages, then derived states, equal pages applied in full", arguments: testSeeds(count: 12, base: 70_000))
    func derivedStatesEqualIncrementalOnes(seed: UInt64) throws {
        let versions = try Self.history(seed: seed)
        let full = try makeEmptyTestReplica("erin"), deferred = try makeEmptyTestReplica("erin")
        var fullConflicts: Set<ConflictID> = []
        for page in Self.pages(versions, size: 40) {
            let report = try full.receive(page, serverVector: VersionVector())
            fullConflicts.subtract(report.closedConflicts)
            fullConflicts.formUnion(report.newConflicts)
            let deferredReport = try deferred.receive(try deferred.store.prepare(page), serverVector: VersionVector(), deferFields: true)
            #expect(deferredReport.new == page.count && deferredReport.newConflicts.isEmpty, "seed \(seed)")
        }
        #expect(try Self.fieldRows(deferred) == 0 && Self.isPending(deferred), "seed \(seed): nothing derived yet")
        // A small chunk, so that derivation writes in several rounds, each ending at a record.
        let report = try deferred.settleFields(deriveChunk: 7)
        #expect(try deferred.store.canonicalDump() == full.store.canonicalDump(), "seed \(seed)")
        #expect(Set(report.newConflicts) == fullConflicts, "seed \(seed)")
        // The apply reports conflicts on fields; cells sharing a number are listed beside them.
        #expect(Set(try deferred.store.conflicts().filter { !$0.isSharedNumber }.map(\.id)) == fullConflicts, "seed \(seed)")
        #expect(try !Self.isPending(deferred), "seed \(seed)")
        #expect(try deferred.settleFields() == ApplyReport(), "seed \(seed): settling twice changes nothing")
    }

    /// A replica file holding `versions` as a first sync stores them: no field states yet.
    static func deferredFile(in folder: TemporaryFolder, _ versions: [Version], pageSize: Int = 40) throws -> Replica {
        let replica = try Replica.create(path: folder.path("deferred.sqlite"), settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "erin"))
        for page in pages(versions, size: pageSize) {
            _ = try replica.receive(try replica.store.prepare(page), serverVector: VersionVector(), deferFields: true)
        }
        return replica
    }

    /// On a file a pool reader reads the versions on its own thread while the writer folds them;
    /// chunks of 7 make the reader wait for the writer many times over.
    @Test("a file's states derived by a reader thread equal pages applied in full", arguments: testSeeds(count: 4, base: 70_300))
    func derivedOnAReaderThreadEqualIncrementalOnes(seed: UInt64) throws {
        let versions = try Self.history(seed: seed)
        let full = try makeEmptyTestReplica("erin")
        try full.store.apply(versions)
        let folder = TemporaryFolder()
        let deferred = try Self.deferredFile(in: folder, versions)
        #expect(deferred.store.writer is DatabasePool, "seed \(seed): the file is read through a pool")
        #expect(try Self.fieldRows(deferred) == 0 && Self.isPending(deferred), "seed \(seed)")
        let report = try deferred.settleFields(deriveChunk: 7)
        #expect(try deferred.store.canonicalDump() == full.store.canonicalDump(), "seed \(seed)")
        #expect(Set(report.newConflicts) == Set(try full.store.conflicts().filter { !$0.isSharedNumber }.map(\.id)), "seed \(seed)")
        #expect(try !Self.isPending(deferred), "seed \(seed)")
        // A file store checks no foreign key as it inserts (see `Store.open`): none may dangle.
        #expect(try deferred.store.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }.isEmpty, "seed \(seed)")
    }

    @Test func aVersionTheReaderCannotDecodeFailsTheDerivationWithNothingWritten() throws {
        let folder = TemporaryFolder()
        let versions = try Self.history(seed: 70_400)
        let deferred = try Self.deferredFile(in: folder, versions)
        // The last record in field order holds a malformed id: the reader meets it at its end.
        try deferred.store.writer.write { db in
            try db.execute(sql: "UPDATE record SET uuid = 'not-a-uuid' WHERE id = (SELECT max(id) FROM record)")
        }
        #expect {
            try deferred.settleFields(deriveChunk: 7)
        } throws: { error in
            "\(error)".contains("malformed record id")
        }
        #expect(try Self.fieldRows(deferred) == 0 && Self.isPending(deferred), "the writer's chunks before the failure were rolled back")
    }

    @Test func aWriteFailingMidwayStopsTheReaderAndWritesNothing() throws {
        let folder = TemporaryFolder()
        let versions = try Self.history(seed: 70_500)
        let reference = try makeEmptyTestReplica("erin")
        try reference.store.apply(versions)
        let deferred = try Self.deferredFile(in: folder, versions)
        // A disk with no room left: the first chunk of field states that needs a new page fails;
        // with chunks of 7 versions, and 2 waiting at most, the reader is still reading then.
        try deferred.store.writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        #expect {
            try deferred.settleFields(deriveChunk: 7)
        } throws: { error in
            guard case StoreError.writeFailed(let reason) = error else { return false }
            return reason.contains("full")
        }
        #expect(try Self.fieldRows(deferred) == 0 && Self.isPending(deferred))
        // With room again, the same derivation completes.
        try deferred.store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        _ = try deferred.settleFields(deriveChunk: 7)
        #expect(try deferred.store.canonicalDump() == reference.store.canonicalDump())
    }

    @Test func aReplicaThatHoldsVersionsDoesNotDefer() throws {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        try bob.write([change("title", .text("Bob's own"), record: RecordRowsUpgradeTests.signal, kind: "signal")], at: 1)
        let page = try alice.write([change("number", .int(20)), change("title", .text("Pax Silica"))], at: 2)
        _ = try bob.receive(try bob.store.prepare(page), serverVector: VersionVector(), deferFields: true)
        #expect(try !Self.isPending(bob))
        #expect(try bob.store.record(cellID)?.value("title") == .text("Pax Silica"))
    }

    @Test func everyOtherWriteDerivesPendingStatesFirst() throws {
        let versions = try Self.history(seed: 70_100)
        let reference = try makeEmptyTestReplica("erin")
        try reference.store.apply(versions)
        // A local write: its context must cover every head, so it resolves what it overwrites.
        let writer = try makeEmptyTestReplica("erin")
        _ = try writer.receive(try writer.store.prepare(versions), serverVector: VersionVector(), deferFields: true)
        let resolution = try writer.write([change("title", .text("Agreed"))], at: 9)
        #expect(try !Self.isPending(writer))
        #expect(resolution[0].context == (try reference.store.read { db in
            var names = ReplicaNames()
            let row = try Row.fetchOne(db, sql: "SELECT f.joined, f.heads FROM field f JOIN record r ON r.id = f.record WHERE r.uuid = ? AND f.name = 'title'",
                                       arguments: [cellID.rawValue])!
            return try FieldHeads(joined: names.vector(row, 0, db), heads: names.dots(row, 1, db)).fieldVector
        }))
        #expect(try writer.store.record(cellID)?.fields["title"]?.conflict == nil)
        // A page received in full, and a direct apply.
        for apply in [
            { (replica: Replica) in _ = try replica.receive(Array(versions.suffix(3)), serverVector: VersionVector()) },
            { (replica: Replica) in _ = try replica.store.apply(Array(versions.suffix(3))) },
        ] {
            let replica = try makeEmptyTestReplica("erin")
            _ = try replica.receive(try replica.store.prepare(versions), serverVector: VersionVector(), deferFields: true)
            try apply(replica)
            #expect(try !Self.isPending(replica))
            #expect(try replica.store.canonicalDump() == reference.store.canonicalDump())
        }
    }

    @Test func openingAFileASyncLeftUnderivedDerivesIt() throws {
        let folder = TemporaryFolder()
        let path = folder.path("replica.sqlite")
        let versions = try Self.history(seed: 70_200)
        let reference = try makeEmptyTestReplica("erin")
        try reference.store.apply(versions)
        let replica = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "erin"))
        // The sync stops after two pages (the process is killed, say): states stay underived.
        for page in Self.pages(versions, size: 100).prefix(2) {
            _ = try replica.receive(try replica.store.prepare(page), serverVector: VersionVector(), deferFields: true)
        }
        try replica.store.close()
        let reopened = try Replica.open(path: path)
        #expect(try !Self.isPending(reopened))
        #expect(try Self.fieldRows(reopened) > 0)
        // The rest arrives in full, as a later sync of a replica holding versions receives it.
        for page in Self.pages(versions, size: 100).dropFirst(2) {
            _ = try reopened.receive(try reopened.store.prepare(page), serverVector: VersionVector(), deferFields: true)
            #expect(try !Self.isPending(reopened))
        }
        #expect(try reopened.store.canonicalDump() == reference.store.canonicalDump())
    }
}
