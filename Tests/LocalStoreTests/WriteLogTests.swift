import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// Single local writes go to the replica's write log and are folded later (see ``WriteLog``);
/// nothing a program reads or syncs may differ from writing them directly.
@Suite struct WriteLogTests {
    static func logged(_ replica: Replica) throws -> Int {
        // Straight from the pool: `Store.read` would fold the log first.
        try replica.store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM write_log") ?? 0 }
    }

    static func storedVersions(_ replica: Replica) throws -> Int {
        try replica.store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM version") ?? 0 }
    }

    /// `replica` with a write log of `capacity` writes (0: every write goes directly).
    static func withLog(_ replica: Replica, capacity: Int) -> Replica {
        reconfigured(replica) { $0.writeLogCapacity = capacity }
    }

    @Test func aSingleWriteIsLoggedAndTheNextReadFoldsIt() throws {
        let folder = TemporaryFolder()
        let replica = try Replica.create(path: folder.path("r.sqlite"), settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        try replica.write([change("number", .int(20)), change("title", .text("Before"))], at: 1)
        #expect(try Self.logged(replica) == 0, "a batch goes directly")
        let written = try replica.write([change("title", .text("After"))], at: 2)
        #expect(try Self.logged(replica) == 1 && Self.storedVersions(replica) == 2, "the single write waits in the log")
        #expect(written.map(\.dot.counter) == [3])
        #expect(written.first?.context == VersionVector([replica.id: 2]), "its context is the field's versions, as a direct write's")

        #expect(try replica.store.record(cellID)?.value("title") == .text("After"), "a read sees it")
        #expect(try Self.logged(replica) == 0 && Self.storedVersions(replica) == 3, "the read folded it")
        #expect(try replica.store.versionVector() == VersionVector([replica.id: 3]))
        #expect(try replica.pending().map(\.dot) == [Dot(replica: replica.id, counter: 1), Dot(replica: replica.id, counter: 2), Dot(replica: replica.id, counter: 3)])
    }

    @Test func loggedWritesSurviveClosingAndAreFoldedWhenTheFileIsOpenedAgain() throws {
        let folder = TemporaryFolder()
        let path = folder.path("r.sqlite")
        let replica = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        try replica.write([change("number", .int(20)), change("title", .text("Before"))], at: 1)
        let other = RecordID("33333333-3333-4333-8333-333333333333")!
        try replica.write([change("title", .text("Logged"))], at: 2)
        try replica.write([change("title", .text("A new cell"), record: other)], at: 3)
        #expect(try Self.logged(replica) == 2)
        try replica.store.close()

        let reopened = try Replica.open(path: path)
        #expect(try reopened.store.record(cellID)?.value("title") == .text("Logged"))
        #expect(try reopened.store.record(other)?.value("title") == .text("A new cell"))
        #expect(try Self.logged(reopened) == 0 && Self.storedVersions(reopened) == 4)
    }

    @Test func writesOfAFieldTheLogHoldsChainTheirContextsAndAFullLogIsFolded() throws {
        let replica = Self.withLog(try makeEmptyTestReplica(), capacity: 4)
        try replica.write([change("number", .int(1)), change("title", .text("One"))], at: 1)
        let records = (0..<4).map { RecordID("44444444-4444-4444-8444-00000000000\($0)")! }
        let first = try replica.write([change("title", .text("A"))], at: 2)
        let second = try replica.write([change("title", .text("B"))], at: 3)
        let fresh = try replica.write([change("title", .text("New"), record: records[0])], at: 4)
        let again = try replica.write([change("tier", .text("Tier 1"), record: records[0])], at: 5)
        #expect(try Self.logged(replica) == 4 && Self.storedVersions(replica) == 2, "every one logged")
        #expect(first.first?.context == VersionVector([replica.id: 2]))
        #expect(second.first?.context == VersionVector([replica.id: 3]), "it supersedes the logged write of its field")
        #expect(fresh.first?.context == VersionVector() && again.first?.context == VersionVector(), "fields of a record only the log holds start empty")
        #expect(throws: VersionRefusal.kindMismatch(record: records[0], known: "cell", got: "signal")) {
            try replica.write([change("title", .text("Wrong"), record: records[0], kind: "signal")], at: 6)
        }
        // The log is full: this write folds it and goes directly.
        try replica.write([change("tier", .text("Tier 9"), record: records[1])], at: 6)
        #expect(try Self.logged(replica) == 0 && Self.storedVersions(replica) == 7)
        #expect(try replica.store.record(cellID)?.value("title") == .text("B"))
        #expect(try replica.store.record(cellID)?.fields["title"]?.headCount == 1, "no conflict with its own earlier write")
        // Deleting joins every field's vector of the record: it never goes to the log.
        try replica.write([change("title", .text("C"), record: records[2])], at: 7)
        try replica.write([change(RecordSchema.deletedField.name, .bool(true), record: records[3])], at: 8)
        #expect(try Self.logged(replica) == 0 && Self.storedVersions(replica) == 9)
        #expect(try replica.store.record(records[3])?.deleted == true)
    }

    @Test func aLoggedWriteOfTheWrongKindFailsAndChangesNothing() throws {
        let replica = try makeEmptyTestReplica()
        try replica.write([change("number", .int(20)), change("title", .text("A cell"))], at: 1)
        try replica.write([change("title", .text("Logged"), record: RecordID("55555555-5555-4555-8555-555555555555")!)], at: 2)
        let before = try Self.logged(replica)
        #expect(throws: VersionRefusal.kindMismatch(record: cellID, known: "cell", got: "signal")) {
            try replica.write([change("title", .text("Wrong kind"), kind: "signal")], at: 3)
        }
        #expect(throws: VersionRefusal.self) { try replica.write([change("number", .text("not a number"))], at: 3) }
        #expect(try Self.logged(replica) == before && Self.storedVersions(replica) == 2)
        #expect(try replica.store.record(cellID)?.value("title") == .text("A cell"))
        #expect(try replica.store.versionVector() == VersionVector([replica.id: 3]))
    }

    /// A logged write remembers that its clearance check found no read-only clearance, while
    /// nothing changes the file. A clearance made read-only since, by a sync on this file's
    /// writer or by another program, must be checked again: the write is refused.
    @Test(arguments: [false, true]) func aLoggedWriteChecksClearancesAgainOnceTheyChange(byAnotherProgram: Bool) throws {
        let folder = TemporaryFolder()
        let path = folder.path("r.sqlite")
        let replica = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        // A colleague's cell in compartment east, which alice may write.
        let colleague = try Replica.inMemory(analyst: "bob"), east = RecordID.random()
        let theirs = try colleague.write([FieldChange(record: east, kind: "cell", field: "title", value: .text("East"))], at: 1)
        func told(_ version: UInt64, eastWritable: Bool) -> ReceivedAccess {
            ReceivedAccess(update: AccessUpdate(cursor: AccessCursor(clearances: version, placements: 0), clearances: [
                Clearance(compartment: Compartment.defaultName, write: true), Clearance(compartment: "east", write: eastWritable),
            ]), compartments: [Placement(record: east, compartments: ["east"])])
        }
        _ = try replica.receive(try replica.store.prepare(theirs), serverVector: VersionVector(), cursor: .keep, access: told(2, eastWritable: true))
        try replica.write([change("number", .int(20))], at: 2)
        try replica.write([change("title", .text("Logged, checked"))], at: 3)
        try replica.write([change("title", .text("Logged again"))], at: 4)
        #expect(try Self.logged(replica) > 0, "the single writes went to the log")

        let readOnly = told(3, eastWritable: false)
        let syncing = byAnotherProgram ? try Replica.open(path: path) : replica
        _ = try syncing.receive(try syncing.store.prepare([]), serverVector: VersionVector(), cursor: .keep, access: readOnly)

        #expect(throws: StoreError.notClearedToWrite(record: east, compartment: "east")) {
            try replica.write([FieldChange(record: east, kind: "cell", field: "title", value: .text("Refused"))], at: 5)
        }
        try replica.write([change("title", .text("Still mine to write"))], at: 6)
        #expect(try replica.store.record(east)?.value("title") == .text("East"))
        #expect(try replica.store.record(cellID)?.value("title") == .text("Still mine to write"))
    }

    @Test func aReadOnlyReplicaWithLoggedWritesSaysWhatToDoAndChangesNothing() throws {
        let folder = TemporaryFolder()
        let path = folder.path("r.sqlite")
        let replica = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        try replica.write([change("number", .int(20)), change("title", .text("Before"))], at: 1)
        try replica.write([change("title", .text("Logged"))], at: 2)
        // Closing folds nothing: it only moves the write-ahead log into the file.
        try replica.store.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let undo = try LocalFaultTests.makeReadOnly(path)
        defer { undo() }
        #expect(access(path, W_OK) != 0, "the test could not make the file read-only")
        #expect(throws: StoreError.unfoldedWrites(path: path)) { try Replica.open(path: path) }
        #expect("\(StoreError.unfoldedWrites(path: path))".contains("chmod u+w"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        undo()
        #expect(try Replica.open(path: path).store.record(cellID)?.value("title") == .text("Logged"))
    }

    /// A logged write takes what the log holds from memory (``WriteLogSummary``) only while
    /// nothing else has changed the file: here a second connection to the same file logs a write
    /// of the same field in between.
    @Test func aLoggedWriteSeesWhatAnotherConnectionWroteMeanwhile() throws {
        let folder = TemporaryFolder()
        let path = folder.path("r.sqlite")
        let first = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        try first.write([change("number", .int(20)), change("title", .text("Before"))], at: 1)
        // Opened before anything is logged: opening reads, and a read folds the log.
        let second = try Replica.open(path: path)
        let one = try first.write([change("title", .text("One"))], at: 2)
        let other = try second.write([change("title", .text("Other connection"))], at: 3)
        #expect(try Self.logged(first) == 2, "both writes are logged")
        #expect(other.first?.context == VersionVector([first.id: 3]), "the second connection chains to the first's logged write")
        let two = try first.write([change("title", .text("Two"))], at: 4)
        #expect(one.map(\.dot.counter) == [3] && other.map(\.dot.counter) == [4] && two.map(\.dot.counter) == [5])
        #expect(two.first?.context == VersionVector([first.id: 4]), "the first connection saw the second's write, not its own last one")
        let title = try first.store.record(cellID)?.fields["title"]
        #expect(title?.value == .text("Two") && title?.headCount == 1, "no conflict among one analyst's own writes")
    }

    /// Within one connection, anything but a logged write retires the summary: here a page
    /// from a peer, which folds the log and changes the field the next logged write edits.
    @Test func aLoggedWriteAfterAReceivedPageSupersedesThePeersVersion() throws {
        let replica = try makeEmptyTestReplica()
        let peer = try makeEmptyTestReplica("bob")
        try replica.write([change("number", .int(20)), change("title", .text("Before"))], at: 1)
        try replica.write([change("title", .text("Logged"))], at: 2)
        try peer.store.apply(try replica.pending())
        let peers = try peer.write([change("title", .text("Bob's"))], at: 3)
        try replica.store.apply(peers)
        let mine = try replica.write([change("title", .text("Mine"))], at: 4)
        #expect(mine.first?.context == VersionVector([replica.id: 3, peer.id: 1]))
        let title = try replica.store.record(cellID)?.fields["title"]
        #expect(title?.value == .text("Mine") && title?.headCount == 1)
    }

    /// A logged write whose transaction fails leaves the log, and what the next write believes
    /// it holds, as they were.
    @Test func aLoggedWriteThatRollsBackIsForgotten() throws {
        struct Interrupted: Error {}
        let replica = try makeEmptyTestReplica()
        try replica.write([change("number", .int(20)), change("title", .text("Before"))], at: 1)
        try replica.write([change("title", .text("One"))], at: 2)
        #expect(throws: Interrupted.self) {
            try replica.store.transaction(foldingLog: false) { db in
                var batch = ApplyBatch(replica.store, db)
                let logged = try batch.logWrite(change("title", .text("Rolled back")), value: .text("Rolled back"), replica: replica.id,
                                                author: "alice", time: 3, capacity: 64, summaries: replica.store.logSummaries,
                                                checkCleared: { _ in true })
                #expect(logged?.dot.counter == 4, "the write was logged before the failure")
                throw Interrupted()
            }
        }
        #expect(try Self.logged(replica) == 1)
        let two = try replica.write([change("title", .text("Two"))], at: 4)
        #expect(two.first?.dot.counter == 4 && two.first?.context == VersionVector([replica.id: 3]))
        #expect(try replica.store.record(cellID)?.value("title") == .text("Two"))
        #expect(try replica.store.versionVector() == VersionVector([replica.id: 4]))
    }

    /// Random work on two replicas with the same id, one logging single writes and one writing
    /// them directly, fed the same versions from a third: every write returns the same versions,
    /// every read the same records, and the stores end byte for byte the same.
    @Test("logged writes end exactly where direct ones do", arguments: testSeeds(count: 40, base: 81_000))
    func loggedWritesEqualDirectOnes(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let id = ReplicaID.random()
        let logging = Self.withLog(try Replica.inMemory(analyst: "alice", id: id), capacity: Int(random.next() % 6) + 1)
        let direct = Self.withLog(try Replica.inMemory(analyst: "alice", id: id), capacity: 0)
        var work = try TwinReplicaWork(seed: seed)
        // Mostly single writes (the logged ones), now and then a batch of two.
        try work.run(logging, direct, steps: 120) { $0.next() % 7 == 0 ? 2 : 1 }
        #expect(try Self.logged(logging) == 0, "seed \(seed)")
    }
}
