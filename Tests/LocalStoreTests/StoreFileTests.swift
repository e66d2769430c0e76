import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import LocalStore
import Testing

@Suite struct StoreFileTests {
    /// SQLite gives the -wal and -shm files it makes the database's mode; the database used to
    /// become 0600 only after they existed, so they stayed 0644 with the same data (tokens on
    /// a replica, token hashes on a server).
    @Test func theLogAndSharedMemoryFilesTakeTheDatabasesPrivateMode() throws {
        let folder = TemporaryFolder()
        let replica = try Replica.create(path: folder.path("replica.sqlite"), settings: ReplicaSettings(server: "http://x", token: "alice.b", analyst: "alice"))
        try replica.write([FieldChange(record: .random(), kind: "cell", field: "title", value: .text("kept"))], at: 1)
        let server = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        try server.addAnalyst(name: "alice", tokenHash: String(repeating: "a", count: 64), at: 1)
        for name in ["replica.sqlite", "server.sqlite"] {
            for suffix in ["", "-wal", "-shm"] {
                let mode = try FileManager.default.attributesOfItem(atPath: folder.path(name + suffix))[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(name + suffix) has mode \(String(mode ?? 0, radix: 8))")
            }
        }
        _ = (replica, server)
    }

    @Test func aMissingFolderIsRefusedAndNotMade() throws {
        let folder = TemporaryFolder()
        let path = folder.path("nonexistent/dir/x.sqlite")
        let error = #expect(throws: StoreError.self) {
            try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "alice.b", analyst: "alice"))
        }
        #expect(error?.description.contains("does not exist; create it first") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: folder.path("nonexistent")))
    }

    @Test func aFileOfAnotherProgramIsRefusedUntouched() throws {
        let folder = TemporaryFolder()
        let path = folder.path("other.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')") }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notAStore(path: path)) { try Replica.open(path: path) }
        #expect(throws: StoreError.notAStore(path: path)) { try SQLiteServerStore.open(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aFileThatIsNotSQLiteIsRefusedUntouched() throws {
        let folder = TemporaryFolder()
        let path = folder.path("garbage.sqlite")
        let garbage = Data((0..<4096).map { UInt8($0 % 251) })
        try garbage.write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notAStore(path: path)) { try Replica.open(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }

    /// A sync's edits of records spread over a large store are copied from the log into the file
    /// once per checkpoint; with SQLite's default of 1,000 pages, applying another analyst's edits
    /// into a million versions cost 10–30% more per version (paired runs, in
    /// `docs/performance-notes.md`).
    @Test func bothRolesLetTheLogHoldTenThousandPagesBeforeACheckpoint() throws {
        let folder = TemporaryFolder()
        let replica = try Replica.create(path: folder.path("replica.sqlite"), settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        let server = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        #expect(Store.walAutocheckpointPages == 10_000)
        for writer in [replica.store.writer, server.writer] {
            let pages = try writer.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
            #expect(pages == 10_000)
        }
    }

    @Test func aServerDatabaseIsNotAReplica() throws {
        let folder = TemporaryFolder()
        let path = folder.path("server.sqlite")
        _ = try SQLiteServerStore.open(path: path)
        #expect(throws: StoreError.wrongRole(path: path, found: "server", expected: "replica")) { try Replica.open(path: path) }
    }

    @Test func aMissingReplicaSaysHowToCreateOne() throws {
        let folder = TemporaryFolder()
        let path = folder.path("none.sqlite")
        #expect(throws: StoreError.notInitialized(path: path)) { try Replica.open(path: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(StoreError.notInitialized(path: path).description.contains("sync-client init"))
    }

    @Test func aNewerSchemaIsRefused() throws {
        let folder = TemporaryFolder()
        let path = folder.path("newer.sqlite")
        _ = try SQLiteServerStore.open(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-future')") }
        try queue.close()
        #expect(throws: StoreError.newerSchema(path: path, unknown: ["v9-future"])) { try SQLiteServerStore.open(path: path) }
    }
}

extension StoreFileTests {
    @Test func aFileFromBeforeTheCellNumberIndexUpgradesAndFindsCellsByNumber() throws {
        let folder = TemporaryFolder()
        let path = folder.path("old.sqlite")
        let replica = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        let cell = RecordID("c0c0c0c0-0000-4000-8000-000000000020")!
        try replica.write([FieldChange(record: cell, kind: "cell", field: "number", value: .int(20))], at: 1)
        // Make it look like a file written before the step existed
        try replica.store.writer.write { db in
            try db.execute(sql: "DROP INDEX field_cell_number")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v2-cell-numbers'")
        }
        try replica.store.close()
        let reopened = try Replica.open(path: path)
        let index = try reopened.store.writer.read { db in
            try String.fetchOne(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'field_cell_number'")
        }
        #expect(index == "field_cell_number")
        #expect(try reopened.store.cellIDs(number: 20) == [cell])
        #expect(try reopened.store.cellIDs(number: 21).isEmpty)
    }
}
