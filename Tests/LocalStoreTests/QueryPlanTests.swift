import GRDB
import GRDBSQLite
@testable import LocalStore
import SyncModel
import Testing

/// The lookups whose cost must not grow with a store's history use the index meant for them.
/// SQLite plans without statistics, so a plan that looks equally good to it can walk a whole
/// replica's history; these pin the plans down.
@Suite struct QueryPlanTests {
    /// SQLite's plan for `sql`, one line per step.
    static func plan(_ sql: String, _ store: Store) throws -> [String] {
        let marks = sql.filter { $0 == "?" }.count
        return try store.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(Array(repeating: 1, count: marks)))
                .map { $0["detail"] as String }
        }
    }

    /// Field-state lookups run once per write: SQLite must not prepare them again each time
    /// (it does, in a join, when a parameter compared with `name` could decide whether the
    /// partial index on cell numbers applies; writing the log's join with `?2` fails this).
    @Test func fieldStateLookupsAreNeverPreparedAgain() throws {
        let direct = WriteLogTests.withLog(try makeEmptyTestReplica(), capacity: 0)
        let logging = try makeEmptyTestReplica()
        let other = RecordID("66666666-6666-4666-8666-666666666666")!
        for replica in [direct, logging] {
            try replica.write([change("number", .int(20)), change("title", .text("A cell"))], at: 1)
            for (index, field) in ["title", "tier", "trend", "number", "title"].enumerated() {
                let value: FieldValue = field == "number" ? .int(Int64(index)) : .text("Value \(index)")
                try replica.write([change(field, value)], at: Int64(2 + index))
                try replica.write([change(field, value, record: other)], at: Int64(2 + index))
            }
            try replica.write([change(RecordSchema.deletedField.name, .bool(true), record: other)], at: 9)
            try replica.write([change("title", .text("Edited after the delete"), record: other)], at: 10)
            try replica.write([change(RecordSchema.deletedField.name, .bool(false), record: other)], at: 11)
        }
        func reprepared(_ sql: String, _ replica: Replica) throws -> Int32 {
            try replica.store.read { db in sqlite3_stmt_status(try db.cachedStatement(sql: sql).sqliteStatement, Int32(SQLITE_STMTSTATUS_REPREPARE), 0) }
        }
        func runs(_ sql: String, _ replica: Replica) throws -> Int32 {
            try replica.store.read { db in sqlite3_stmt_status(try db.cachedStatement(sql: sql).sqliteStatement, Int32(SQLITE_STMTSTATUS_RUN), 0) }
        }
        for (sql, replica) in [(ApplyBatch.fieldStateSQL, direct), (ApplyBatch.deletionSQL, direct), (WriteLog.recordAndFieldSQL, logging)] {
            #expect(try runs(sql, replica) > 1, "the test must run \(sql) more than once")
            #expect(try reprepared(sql, replica) == 0, "\(sql)")
        }
    }

    @Test func theMergeBaseIsFoundThroughTheFieldIndex() throws {
        let steps = try Self.plan(Store.ancestorSQL, makeEmptyTestReplica().store)
        #expect(steps.contains { $0.contains("SEARCH v USING INDEX version_by_field (record=? AND field=? AND replica=? AND counter<?)") }, "\(steps)")
        #expect(!steps.contains { $0.hasPrefix("SCAN") }, "\(steps)")
    }

    @Test("a cell is found by its number through the number index, not by walking every cell", arguments: [false, true])
    func cellsByNumberUseTheNumberIndex(includeDeleted: Bool) throws {
        let steps = try Self.plan(Store.cellIDsSQL(includeDeleted: includeDeleted), makeEmptyTestReplica().store)
        #expect(steps.first?.contains("field_cell_number (value=?)") == true, "\(steps)")
        #expect(!steps.contains { $0.hasPrefix("SCAN") }, "\(steps)")
    }

    /// A batch's preload names its keys as a JSON array: each key must be one indexed lookup,
    /// not a walk of every record or field state.
    @Test func aPreloadLooksUpEachRecordAndItsFieldsByIndex() throws {
        let store = try makeEmptyTestReplica().store
        let records = try Self.plan(ApplyBatch.recordsSQL, store)
        #expect(records.contains { $0.hasPrefix("SEARCH r USING") && $0.contains("(uuid=?)") }, "\(records)")
        #expect(!records.contains { $0.hasPrefix("SCAN r") }, "\(records)")
        let fields = try Self.plan(ApplyBatch.fieldsSQL, store)
        #expect(fields.contains { $0.hasPrefix("SEARCH f USING PRIMARY KEY (record=?)") }, "\(fields)")
        #expect(!fields.contains { $0.hasPrefix("SCAN f") }, "\(fields)")
    }
}
