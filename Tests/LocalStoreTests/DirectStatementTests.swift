import GRDB
@testable import LocalStore
import SyncModel
import Testing

@Suite struct DirectStatementTests {
    private func table() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT)") }
        return queue
    }

    @Test func bindsIntegersTextEmptyTextAndNullAsGRDBWould() throws {
        let queue = try table()
        try queue.write { db in
            let statement = try db.makeStatement(sql: "INSERT INTO t (id, name, note) VALUES (?, ?, ?)")
            for (id, name, note) in [(1, "plain", "a note"), (2, "", nil), (3, "ünïcödé \u{1F30D}", "second note")] as [(Int64, String, String?)] {
                var row = DirectStatement(statement)
                row.bind(id)
                row.bind(name)
                row.bind(note)
                try row.run()
            }
        }
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT id, name, note, typeof(name) FROM t ORDER BY id") }
        #expect(rows.map { $0[0] as Int64 } == [1, 2, 3])
        #expect(rows.map { $0[1] as String } == ["plain", "", "ünïcödé \u{1F30D}"])
        #expect(rows.map { $0[2] as String? } == ["a note", nil, "second note"])
        #expect(rows[1][3] as String == "text", "an empty string is stored as '', not NULL")
    }

    @Test func bindsARecordIDAsItsLowerCaseText() throws {
        let queue = try table()
        let record = try #require(RecordID("0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9"))
        try queue.write { db in
            var row = DirectStatement(try db.makeStatement(sql: "INSERT INTO t (id, name) VALUES (?, ?)"))
            row.bind(1)
            row.bind(record)
            try row.run()
        }
        #expect(try queue.read { db in try String.fetchOne(db, sql: "SELECT name FROM t") } == "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9")
    }

    @Test func aFailingStepThrowsSQLitesErrorAndLeavesTheStatementReusable() throws {
        let queue = try table()
        try queue.write { db in
            let statement = try db.makeStatement(sql: "INSERT INTO t (id, name) VALUES (?, ?)")
            var first = DirectStatement(statement)
            first.bind(1)
            first.bind("one")
            try first.run()
            var duplicate = DirectStatement(statement)
            duplicate.bind(1)
            duplicate.bind("again")
            let error = try #require(throws: DatabaseError.self) { try duplicate.run() }
            #expect(error.resultCode == .SQLITE_CONSTRAINT)
            #expect(error.message?.contains("UNIQUE") == true)
            #expect(error.sql?.contains("INSERT INTO t") == true)
            var next = DirectStatement(statement)
            next.bind(2)
            next.bind("two")
            try next.run()
        }
        #expect(try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY id") } == ["one", "two"])
    }

    @Test func firstRowReadsIntegersTextAndNullAndNilWhenThereIsNoRow() throws {
        let queue = try table()
        let replica = try #require(ReplicaID("0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9"))
        try queue.write { db in
            try db.execute(sql: "INSERT INTO t (id, name, note) VALUES (1, 'ünïcödé \u{1F30D}', NULL), (2, '', 'x'), (3, ?, 'by id')",
                           arguments: [replica.rawValue])
        }
        try queue.read { db in
            let statement = try db.makeStatement(sql: "SELECT id, name, note FROM t WHERE id = ?")
            func row(_ id: Int64) throws -> (Int64, String?, String?)? {
                var query = DirectStatement(statement)
                query.bind(id)
                return try query.firstRow { row in (row.int64(0), row.text(1), row.text(2)) }
            }
            let first = try #require(try row(1))
            #expect(first.0 == 1 && first.1 == "ünïcödé \u{1F30D}" && first.2 == nil)
            let second = try #require(try row(2))
            #expect(second.1 == "" && second.2 == "x", "an empty text is '', not nil")
            #expect(try row(9) == nil)
            // The statement was reset each time: it runs again with new values.
            #expect(try row(2)?.2 == "x")
            var byName = DirectStatement(try db.makeStatement(sql: "SELECT note FROM t WHERE name = ?"))
            byName.bind(replica)
            #expect(try byName.firstRow { $0.text(0) } == "by id", "a replica id binds as its lowercase text")
        }
    }

    @Test func forEachRowReadsEveryRowInOrderAndColumnsCopyAcrossAsSQLiteHoldsThem() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE source (id INTEGER PRIMARY KEY, value);
                CREATE TABLE copy (id INTEGER PRIMARY KEY, value);
                INSERT INTO source (id, value) VALUES (1, 42), (2, 'ünïcödé'), (3, x'00C1FF'), (4, NULL), (5, ''), (6, x''), (7, 2.5);
                """)
            let insert = try db.makeStatement(sql: "INSERT INTO copy (id, value) VALUES (?, ?)")
            var seen: [Int64] = []
            try DirectStatement(db.makeStatement(sql: "SELECT id, value FROM source ORDER BY id DESC")).forEachRow { row in
                seen.append(row.int64(0))
                var copy = DirectStatement(insert)
                copy.bind(row.int64(0))
                copy.bind(column: 1, of: row)
                try copy.run()
            }
            #expect(seen == [7, 6, 5, 4, 3, 2, 1])
        }
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.id, typeof(c.value) = typeof(s.value), c.value IS s.value FROM source s JOIN copy c ON c.id = s.id ORDER BY s.id
                """)
        }
        #expect(rows.count == 7)
        for row in rows {
            #expect(row[1] as Bool, "row \(row[0] as Int64) kept its type")
            #expect(row[2] as Bool, "row \(row[0] as Int64) kept its value")
        }
    }

    @Test func forEachRowStopsAtAFailingCallAndLeavesTheQueryReusable() throws {
        let queue = try table()
        try queue.write { db in try db.execute(sql: "INSERT INTO t (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')") }
        struct Stop: Error {}
        try queue.read { db in
            let statement = try db.makeStatement(sql: "SELECT id FROM t ORDER BY id")
            var calls = 0
            #expect(throws: Stop.self) {
                try DirectStatement(statement).forEachRow { _ in
                    calls += 1
                    if calls == 2 { throw Stop() }
                }
            }
            #expect(calls == 2)
            var again: [Int64] = []
            try DirectStatement(statement).forEachRow { again.append($0.int64(0)) }
            #expect(again == [1, 2, 3], "the statement was reset, so it reads from the start")
        }
    }
}
