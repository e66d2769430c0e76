import Foundation
import GRDB
import GRDBSQLite
@testable import LocalStore
import SyncModel
import LocalStore
import Testing
import TestSupport

@Suite(.ownThreads) struct LocalFaultTests {
    @Test func aFullDiskFailsTheWriteCleanlyWithNothingHalfWritten() throws {
        let folder = TemporaryFolder()
        let replica = try Replica.create(path: folder.path("replica.sqlite"), settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        try replica.write([change("number", .int(20)), change("title", .text("Before the disk filled"))], at: 1)
        let before = try replica.store.canonicalDump()
        // Given a disk with no room left: the database may not grow past its current size
        try replica.store.writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        // When a large write arrives
        let big = (0..<200).map { change("assessment", .text(String(repeating: "paragraph \($0) ", count: 200))) }
        #expect {
            try replica.write(big, at: 2)
        } throws: { error in
            guard case StoreError.writeFailed(let reason) = error else { return false }
            return reason.contains("full") && "\(error)".contains("nothing was changed")
        }
        // Then nothing of it was kept, and the replica still reads and writes small changes
        #expect(try replica.store.canonicalDump() == before)
        #expect(try replica.store.versionVector() == VersionVector([replica.id: 2]))
        let integrity = try replica.store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
    }

    /// Makes `path` unwritable for this process and returns how to undo it. As root, for whom
    /// file modes do not forbid writing, the file is marked immutable (`chattr +i`).
    static func makeReadOnly(_ path: String) throws -> () -> Void {
        if geteuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
            return { try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path) }
        }
        func chattr(_ flag: String) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
            process.arguments = [flag, path]
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        guard try chattr("+i") == 0 else {
            throw StoreError.writeFailed(reason: "test setup: chattr +i \(path) failed; this test needs a file system with immutable files when run as root")
        }
        return { _ = try? chattr("-i") }
    }

    @Test func aReadOnlyReplicaStillReadsAndRefusesWritesWithNothingChanged() throws {
        let folder = TemporaryFolder()
        let path = folder.path("replica.sqlite")
        let replica = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        try replica.write([change("number", .int(20)), change("title", .text("Written before"))], at: 1)
        let before = try replica.store.canonicalDump()
        try replica.store.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let undo = try Self.makeReadOnly(path)
        defer { undo() }
        #expect(access(path, W_OK) != 0, "the test could not make the file read-only")

        let reopened = try Replica.open(path: path)
        #expect(try reopened.store.canonicalDump() == before, "reading still works")
        #expect(throws: StoreError.readOnly(path: path)) { try reopened.write([change("title", .text("Lost?"))], at: 2) }
        let other = try Replica.inMemory(analyst: "bob")
        let incoming = try other.write([FieldChange(record: RecordID("b0b0b0b0-0000-4000-8000-000000000001")!, kind: "cell", field: "title", value: .text("From the server"))], at: 3)
        #expect(throws: StoreError.readOnly(path: path)) { _ = try reopened.receive(incoming, serverVector: VersionVector()) }
        #expect("\(StoreError.readOnly(path: path))".contains("chmod u+w"))
        #expect(try reopened.store.canonicalDump() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "nothing was half-written")
    }

    @Test func aReadOnlyReplicaAFirstSyncLeftUnfinishedIsRefusedUntilItCanBeCompleted() throws {
        let folder = TemporaryFolder()
        let path = folder.path("replica.sqlite")
        let replica = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "erin"))
        let page = try Replica.inMemory(analyst: "bob").write([change("number", .int(20)), change("title", .text("From the server"))], at: 1)
        _ = try replica.receive(try replica.store.prepare(page), serverVector: VersionVector(), deferFields: true)
        try replica.store.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let undo = try Self.makeReadOnly(path)
        #expect(access(path, W_OK) != 0, "the test could not make the file read-only")
        #expect(throws: StoreError.unfinishedFirstSync(path: path)) { try Replica.open(path: path) }
        #expect("\(StoreError.unfinishedFirstSync(path: path))".contains("chmod u+w"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        undo()
        let reopened = try Replica.open(path: path)
        #expect(try reopened.store.record(cellID)?.value("title") == .text("From the server"))
    }

    @Test func aServerRefusesToStartOnADatabaseItCannotWrite() throws {
        let folder = TemporaryFolder()
        let path = folder.path("server.sqlite")
        try SQLiteServerStore.open(path: path).close()
        let undo = try Self.makeReadOnly(path)
        defer { undo() }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: StoreError.readOnly(path: path)) { try SQLiteServerStore.open(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }

    @Test func aWriteWhileAnotherProgramHoldsTheFileFailsWithWhatToDoAndChangesNothing() throws {
        let folder = TemporaryFolder()
        let path = folder.path("replica.sqlite")
        let replica = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        try replica.write([change("number", .int(20)), change("title", .text("Before"))], at: 1)
        let before = try replica.store.canonicalDump()
        // The store waits `DatabaseFile.busySeconds`; this test's connection waits a fifth of a second.
        replica.store.writer.writeWithoutTransaction { db in _ = sqlite3_busy_timeout(db.sqliteConnection, 200) }
        // Given another program in the middle of a write (a sync, an import)
        let other = try DatabaseQueue(path: path)
        try other.writeWithoutTransaction { holder in
            try holder.execute(sql: "BEGIN IMMEDIATE")
            defer { try? holder.execute(sql: "ROLLBACK") }
            // When a single write and a batch arrive, each fails with what to do
            for changes in [[change("title", .text("Single"))], [change("title", .text("Batch")), change("tier", .text("Tier 1"))]] {
                #expect {
                    try replica.write(changes, at: 2)
                } throws: { error in
                    guard case StoreError.writeFailed = error else { return false }
                    return "\(error)".contains("nothing was changed") && "\(error)".contains("busy") && "\(error)".contains("run this one again")
                }
            }
        }
        // Then nothing was written, and once the other program is done a write goes through
        #expect(try replica.store.canonicalDump() == before)
        try replica.write([change("title", .text("After"))], at: 3)
        #expect(try replica.store.record(cellID)?.value("title") == .text("After"))
    }

    @Test func aBusyFileIsExplainedAndOtherSQLiteErrorsKeepTheirMessage() {
        let busy = DatabaseFile.reason(DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked"))
        #expect(busy.contains("\(Int(DatabaseFile.busySeconds)) seconds") && busy.contains("run this one again"))
        #expect(!busy.contains("database is locked"))
        #expect(DatabaseFile.reason(DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")) == "database or disk is full")
    }
}
