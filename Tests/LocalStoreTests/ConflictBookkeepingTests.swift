import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import Testing

/// A replica file's record of what it reports of its conflicts to the server (`ConflictReports`).
@Suite struct ConflictBookkeepingTests {
    /// Alice's replica file, holding a conflict on the title of `cellID` with Bob's replica.
    static func conflicted(_ folder: TemporaryFolder) throws -> (alice: Replica, bob: Replica, conflict: ConflictID) {
        let alice = try Replica.create(path: folder.path("alice.sqlite"), settings: ReplicaSettings(server: "http://x", token: "alice.secret", analyst: "alice"))
        let bob = try Replica.inMemory(analyst: "bob")
        try bob.store.apply(try alice.write([change("title", .text("shared"))], at: 1))
        try alice.write([change("title", .text("alice's"))], at: 2)
        try alice.store.apply(try bob.write([change("title", .text("bob's"))], at: 2))
        let conflict = try #require(try alice.store.conflicts().first?.id)
        return (alice, bob, conflict)
    }

    @Test func whatOpenedAndWhatWasResolvedWaitsUntilTheServerAcknowledgesIt() throws {
        let folder = TemporaryFolder()
        let (alice, _, conflict) = try Self.conflicted(folder)
        #expect(try alice.pendingConflictReport(limit: 10) == ConflictReport(opened: [conflict]))
        try alice.noteConflictsReported(ConflictReport(opened: [conflict]))
        #expect(try alice.pendingConflictReport(limit: 10).isEmpty)
        try alice.write([change("title", .text("agreed"))], at: 3)
        #expect(try alice.pendingConflictReport(limit: 10) == ConflictReport(resolved: [conflict]))
        try alice.noteConflictsReported(ConflictReport(resolved: [conflict]))
        #expect(try alice.pendingConflictReport(limit: 10).isEmpty)
        // A server whose history changed is told everything again, the resolution included.
        try alice.store.transaction { db in try ConflictReports.reportAgain(db) }
        #expect(try alice.pendingConflictReport(limit: 10) == ConflictReport(resolved: [conflict]))
    }

    @Test func anOpeningAcknowledgedAfterTheConflictWasResolvedLeavesTheResolutionToReport() throws {
        let folder = TemporaryFolder()
        let (alice, _, conflict) = try Self.conflicted(folder)
        let sent = try alice.pendingConflictReport(limit: 10)
        // Resolved while the request that reports it open travels.
        try alice.write([change("title", .text("agreed"))], at: 3)
        try alice.noteConflictsReported(sent)
        #expect(try alice.pendingConflictReport(limit: 10) == ConflictReport(resolved: [conflict]))
    }

    @Test func aReportTakesTheFirstIdsOfEachListAndTheRestLater() throws {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        let records = (1...3).map { RecordID(String(format: "%08x-2222-4222-8222-222222222222", $0))! }
        try bob.store.apply(try alice.write(records.map { change("title", .text("shared"), record: $0) }, at: 1))
        try alice.write(records.map { change("title", .text("alice's"), record: $0) }, at: 2)
        try alice.store.apply(try bob.write(records.map { change("title", .text("bob's"), record: $0) }, at: 2))
        let ids = try alice.store.conflicts().map(\.id)
        #expect(ids.count == 3)
        let first = try alice.pendingConflictReport(limit: 2)
        #expect(first == ConflictReport(opened: Array(ids.prefix(2))))
        try alice.noteConflictsReported(first)
        #expect(try alice.pendingConflictReport(limit: 2) == ConflictReport(opened: [ids[2]]))
    }

    @Test func theConflictsOpenOnRecordsIncludeCellsSharingANumberWithThem() throws {
        let folder = TemporaryFolder()
        let (alice, bob, titled) = try Self.conflicted(folder)
        let seven = RecordID("77777777-7777-4777-8777-777777777777")!, also = RecordID("77777777-0000-4777-8777-777777777777")!
        let other = RecordID("99999999-9999-4999-8999-999999999999")!
        try alice.write([change("number", .int(7), record: seven)], at: 4)
        try alice.store.apply(try bob.write([change("number", .int(7), record: also)], at: 4))
        let shared = try #require(try alice.store.numberConflicts().first?.id)
        let found: [[ConflictID]] = try alice.store.read { db in
            try [[cellID], [seven], [also], [cellID, also], [other]].map { try ConflictReports.open(on: Set($0), db) }
        }
        #expect(found == [[titled], [shared], [shared], [titled, shared].sorted(), []])
        #expect(try alice.pendingConflictReport(limit: 10) == ConflictReport(opened: [titled, shared].sorted()),
                "cells sharing a number are found by comparison, not by a batch")
    }
}
