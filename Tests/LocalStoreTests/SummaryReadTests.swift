import LocalStore
import SyncModel
import Testing

/// Lists read signals without their bodies, and still know every conflict.
@Suite struct SummaryReadTests {
    @Test func onlyTheNamedFieldsAreReadAndConflictsOnOthersStayMarked() throws {
        let alice = try Replica.inMemory(analyst: "alice")
        let (kept, gone) = (RecordID.random(), RecordID.random())
        try alice.write([
            FieldChange(record: kept, kind: "signal", field: "title", value: .text("Kept")),
            FieldChange(record: kept, kind: "signal", field: "body", value: .text(String(repeating: "x", count: 200_000))),
            FieldChange(record: gone, kind: "signal", field: "title", value: .text("Gone")),
            FieldChange(record: gone, kind: "signal", field: RecordSchema.deletedFieldName, value: .bool(true)),
        ], at: 1)
        // A body written without seeing the first: a conflict on a field the list does not read
        try alice.write([FieldChange(record: kept, kind: "signal", field: "body", value: .text("Other"))], basedOn: [VersionVector()], at: 2)
        let records = try alice.store.records(kind: "signal", fields: ["title", "date"])
        #expect(records.map(\.id) == [kept], "deleted records are left out")
        let record = try #require(records.first)
        #expect(record.value("title") == .text("Kept") && record.fields["date"] == nil)
        #expect(record.fields["body"]?.value == .null, "the body is not read")
        #expect(record.conflicts.map(\.field) == ["body"], "its conflict is still marked")
        #expect(try alice.store.records(kind: "cell", fields: ["title"]).isEmpty)
    }
}
