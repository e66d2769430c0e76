import Foundation
import GRDB
@testable import LocalStore
import Testing

/// `Store.inWriteTransaction`, the `BEGIN IMMEDIATE … COMMIT` every store write runs in.
@Suite struct WriteTransactionTests {
    private func database() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE parent (id INTEGER PRIMARY KEY);
                CREATE TABLE child (id INTEGER PRIMARY KEY,
                                    parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
                """)
        }
        return queue
    }

    private func count(_ queue: DatabaseQueue, _ table: String) throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1 }
    }

    private struct Refused: Error {}

    /// `body` in one `Store.inWriteTransaction` on `writer`'s connection.
    private func transaction<T>(_ writer: some DatabaseWriter, _ body: (Database) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in try DatabaseFile.inWriteTransaction(db) { try body(db) } }
    }

    @Test func commitsWhatTheBodyWroteAndReturnsItsResult() throws {
        let queue = try database()
        let result = try transaction(queue) { db in
            try db.execute(sql: "INSERT INTO parent (id) VALUES (1), (2)")
            return "written"
        }
        #expect(result == "written")
        #expect(try count(queue, "parent") == 2)
        #expect(queue.writeWithoutTransaction { db in db.isInsideTransaction } == false)
    }

    @Test func aFailingBodyLeavesNothingAndTheNextTransactionWorks() throws {
        let queue = try database()
        #expect(throws: Refused.self) {
            try transaction(queue) { db in
                try db.execute(sql: "INSERT INTO parent (id) VALUES (1)")
                throw Refused()
            }
        }
        #expect(try count(queue, "parent") == 0)
        try queue.writeWithoutTransaction { db in
            #expect(!db.isInsideTransaction)
            try DatabaseFile.inWriteTransaction(db) { try db.execute(sql: "INSERT INTO parent (id) VALUES (3)") }
        }
        #expect(try count(queue, "parent") == 1)
    }

    @Test func aBodyWhoseTransactionSQLiteAlreadyEndedReportsItsOwnError() throws {
        // As after a full disk or an I/O error, which roll SQLite back by itself: the helper's
        // rollback must not fail in its turn, nor replace the error that matters.
        let queue = try database()
        #expect(throws: Refused.self) {
            try transaction(queue) { db in
                try db.execute(sql: "INSERT INTO parent (id) VALUES (1)")
                try db.execute(sql: "ROLLBACK")
                throw Refused()
            }
        }
        #expect(try count(queue, "parent") == 0)
    }

    @Test func aCommitThatFailsRollsBackEverything() throws {
        // A deferred foreign key is checked at COMMIT, which fails and leaves the transaction
        // open: the helper must roll it back, not leave it for the next write to commit.
        let queue = try database()
        #expect {
            try transaction(queue) { db in
                try db.execute(sql: "INSERT INTO parent (id) VALUES (1)")
                try db.execute(sql: "INSERT INTO child (id, parent) VALUES (1, 99)")
            }
        } throws: { error in
            (error as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY
        }
        #expect(try count(queue, "parent") == 0)
        #expect(try count(queue, "child") == 0)
        #expect(queue.writeWithoutTransaction { db in db.isInsideTransaction } == false)
    }

    @Test func takesTheWriteLockBeforeTheBodyRuns() throws {
        // Immediate, not deferred: while another connection writes, the transaction fails at its
        // start, before the body has read anything it would then be unable to write.
        let folder = TemporaryFolder()
        let path = folder.path("locked.sqlite")
        let writer = try DatabaseQueue(path: path)
        try writer.write { db in try db.execute(sql: "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY)") }
        let other = try DatabaseQueue(path: path)
        var bodyRan = false
        try other.writeWithoutTransaction { lockHolder in
            try lockHolder.execute(sql: "BEGIN IMMEDIATE")
            defer { try? lockHolder.execute(sql: "ROLLBACK") }
            #expect {
                try transaction(writer) { _ in bodyRan = true }
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .SQLITE_BUSY
            }
        }
        #expect(!bodyRan)
        try writer.writeWithoutTransaction { db in
            #expect(!db.isInsideTransaction)
            try DatabaseFile.inWriteTransaction(db) { try db.execute(sql: "INSERT INTO t (id) VALUES (1)") }
        }
        #expect(try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 1)
    }

    @Test func onAReadOnlyFileATransactionThatOnlyReadsSucceeds() throws {
        // A replica the system will not let us write is opened read-only (see `Store.open`):
        // a command with nothing to write still works there, and one that writes fails at its
        // first write with nothing changed.
        let folder = TemporaryFolder()
        let path = folder.path("readonly.sqlite")
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t (id) VALUES (1)") }
        var configuration = Configuration()
        configuration.readonly = true
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        let count = try transaction(reader) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") }
        #expect(count == 1)
        #expect {
            try transaction(reader) { db in try db.execute(sql: "INSERT INTO t (id) VALUES (2)") }
        } throws: { error in
            (error as? DatabaseError)?.resultCode == .SQLITE_READONLY
        }
        #expect(try reader.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 1)
    }
}
