import SyncModel
import Testing

@Suite struct ValueRulesTests {
    @Test("partial dates", arguments: [
        ("2026", true), ("2026-02", true), ("2026-02-18", true), ("2024-02-29", true),
        ("2026-02-29", false), ("2026-13", false), ("26", false), ("2026-2-1", false), ("", false), ("2026-02-18x", false),
    ])
    func partialDates(text: String, valid: Bool) {
        #expect((PartialDate(text) != nil) == valid)
        if valid { #expect(PartialDate(text)?.description == text) }
    }

    @Test func setsAreMadeCanonical() throws {
        let value = try ValueRules.canonical(.list(["b", "a", "b"]), for: RecordSchema.cell.field("commitments")!)
        #expect(value == .list(["a", "b"]))
    }

    @Test("values of the wrong kind are refused with the field named", arguments: [
        ("number", FieldValue.text("twenty"), "field 'number' takes an integer, not text"),
        ("trajectory", .text("Sideways"), "the value of 'trajectory' 'Sideways' is not one of Advancing, Holding, Drifting, Reversing"),
        ("lastAssessed", .text("April"), "the value of 'lastAssessed' 'April' is not a date like 2026, 2026-02 or 2026-02-18"),
        ("relatedCells", .list(["x"]), "the value of 'relatedCells' has 'x', which is not a cell number"),
        ("title", .text("a\u{0}b"), "the value of 'title' contains a NUL character"),
    ])
    func refusals(field: String, value: FieldValue, message: String) {
        #expect(throws: ModelError.self) { try ValueRules.canonical(value, for: RecordSchema.cell.field(field)!) }
        do {
            _ = try ValueRules.canonical(value, for: RecordSchema.cell.field(field)!)
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func oversizedValuesAreRefused() {
        #expect(throws: ModelError.valueTooLarge(field: "title", bytes: 11, limit: 10)) {
            try ValueRules.canonical(.text(String(repeating: "x", count: 11)), for: RecordSchema.cell.field("title")!, maxBytes: 10)
        }
    }
}
