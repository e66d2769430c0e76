import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import LocalStore
import Testing

@Suite struct RowBufferTests {
    private struct Entry: BufferedRow {
        static let insertPrefix = "INSERT OR FAIL INTO t (id, name) VALUES "
        static let columnCount = 2
        static let statements = statementTexts()
        var id: Int64
        var name: String?

        func bind(to write: inout DirectStatement) {
            write.bind(id)
            write.bind(name)
        }
    }

    private func table() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)") }
        return queue
    }

    private static let full = RowBuffer<Entry>.rowsPerStatement

    @Test func rowsWaitUntilAStatementIsFullAndTheRestGoInOnFlush() throws {
        let queue = try table()
        let count = 2 * Self.full + 5
        try queue.write { db in
            var buffer = RowBuffer<Entry>()
            for id in 1...count {
                try buffer.append(Entry(id: Int64(id), name: "row \(id)"), db)
                // Whole statements only: rows past the last full one are still held.
                let stored = try Int.fetchOne(db, sql: "SELECT count(*) FROM t")
                #expect(stored == id / Self.full * Self.full, "after \(id) rows")
            }
            #expect(!buffer.isEmpty)
            try buffer.flush(db)
            #expect(buffer.isEmpty)
            try buffer.flush(db)  // nothing held: nothing happens
        }
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT id, name FROM t ORDER BY id") }
        #expect(rows.map { $0[0] as Int64 } == (1...Int64(count)).map { $0 })
        #expect(rows.map { $0[1] as String } == (1...count).map { "row \($0)" })
    }

    @Test func aRowSQLiteRefusesFailsTheStatementWithSQLitesErrorAndTheTransactionKeepsNothing() throws {
        let queue = try table()
        let error = try #require(throws: DatabaseError.self) {
            try queue.write { db in
                var buffer = RowBuffer<Entry>()
                for id in 1...Int64(Self.full) {
                    try buffer.append(Entry(id: id, name: id == 7 ? nil : "row \(id)"), db)
                }
            }
        }
        #expect(error.resultCode == .SQLITE_CONSTRAINT)
        #expect(error.message?.contains("NOT NULL") == true)
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 0)
    }

    @Test func theStatementForEachCountHoldsThatManyRows() {
        #expect(RowBuffer<Entry>.sql(rows: 1) == "INSERT OR FAIL INTO t (id, name) VALUES (?, ?)")
        #expect(RowBuffer<Entry>.sql(rows: 3) == "INSERT OR FAIL INTO t (id, name) VALUES (?, ?), (?, ?), (?, ?)")
        #expect(Entry.statements.count == Self.full)
        for rows in [1, 2, Self.full] { #expect(Entry.statements[rows - 1] == RowBuffer<Entry>.sql(rows: rows), "\(rows) rows") }
    }

    /// A batch holds its new versions in buffers: reading one back in the same batch (here a
    /// repeated version, checked against the stored copy) must find it.
    @Test func aVersionRepeatedInOneBatchIsFoundAsADuplicateOfTheHeldRow() throws {
        let source = try makeEmptyTestReplica("bob")
        let versions = try source.write([change("title", .text("T")), change("tier", .text("X"))], at: 5)
        let target = try makeEmptyTestReplica()
        let report = try target.store.apply(versions + versions)
        #expect(report.new == 2 && report.duplicates == 2)
        var forged = versions[1]
        forged.value = .text("Y")
        let other = try makeEmptyTestReplica()
        #expect(throws: VersionRefusal.dotReused(forged.dot)) { try other.store.apply(versions + [forged]) }
        #expect(try other.store.versionVector() == VersionVector())
    }

    /// Many more versions than one statement holds, on a server store (versions and feed
    /// entries both buffered): every one is stored, and the feed lists them in arrival order.
    @Test func aLargeBatchStoresEveryVersionAndFeedsThemInOrder() async throws {
        let source = try makeEmptyTestReplica("bob")
        let count = 3 * Self.full + 3
        let versions = try source.write((0..<count).map { change("title", .text("T\($0)"), record: RecordID(bytes: Array(repeating: UInt8($0 % 7), count: 16))!) }, at: 5)
        let server = try makeEmptyTestServerStore()
        try server.addAnalyst(name: "bob", tokenHash: "h", at: 0)
        let exchange = try await server.exchange(analyst: "bob", requester: source.id, clientVector: VersionVector(), versions: versions, pageLimit: count, at: 1)
        #expect(exchange.report.new == count)
        #expect(exchange.vector == VersionVector([source.id: UInt64(count)]))
        let feed = try server.read { db in try Int64.fetchAll(db, sql: "SELECT counter FROM feed ORDER BY seq") }
        #expect(feed == (1...Int64(count)).map { $0 })
    }
    /// A batch's new records wait in a buffer too, with the row ids SQLite would give them (the
    /// largest plus one, in the order met); a version row never goes in before its record's,
    /// which the in-memory stores' foreign keys check at every insert, and a file's
    /// `PRAGMA foreign_key_check` after.
    @Test func newRecordsTakeTheNextRowIDsAndGoInBeforeTheVersionsNamingThem() throws {
        let folder = TemporaryFolder()
        let source = try makeEmptyTestReplica("bob")
        let records = (0..<(2 * Self.full + 3)).map { RecordID(bytes: Array(repeating: UInt8($0), count: 15) + [1])! }
        let versions = try source.write(records.map { change("title", .text("T"), record: $0) }, at: 5)
        for target in [try makeEmptyTestReplica(),
                       try Replica.create(path: folder.path("r.sqlite"), settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))] {
            try target.write([change("title", .text("First")), change("tier", .text("One"))], at: 1)
            try target.store.apply(versions)
            try target.write(records.prefix(3).map { change("tier", .text("Two"), record: $0) } + [change("title", .text("Last"))], at: 6)
            let rows = try target.store.read { db in
                try Row.fetchAll(db, sql: "SELECT id, uuid FROM record ORDER BY id").map { ($0[0] as Int64, $0[1] as String) }
            }
            #expect(rows.map(\.0) == (1...Int64(records.count + 1)).map { $0 }, "consecutive, from 1")
            #expect(rows.map(\.1) == [cellID.rawValue] + records.map(\.rawValue), "in the order first met")
            #expect(try target.store.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }.isEmpty)
            #expect(try target.store.record(records[2])?.value("tier") == .text("Two"))
        }
    }
}
