import GRDB
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
