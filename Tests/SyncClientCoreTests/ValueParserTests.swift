import SyncClientCore
import SyncModel
import Testing

/// The one parser of command-line values: `set`, `create --field`, `resolve --value` and `--edit` all use it.
@Suite struct ValueParserTests {
    @Test(arguments: ["cell", "signal"], ["", " ", "\t\n"])
    func aBlankTitleIsRefusedOnEveryKind(kind: String, text: String) {
        let error = #expect(throws: ClientError.self) { try ValueParser.parse(text, kind: kind, field: "title") }
        #expect(error?.description.contains("a title must not be empty") == true, "\(String(describing: error))")
    }

    @Test func anEmptyValueClearsAnyOtherField() throws {
        #expect(try ValueParser.parse("", kind: "cell", field: "trajectory") == .null)
        #expect(try ValueParser.parse("", kind: "signal", field: "source") == .null)
        #expect(try ValueParser.parse(" Arctic ", kind: "cell", field: "title") != .null)
    }

    @Test(arguments: ["holding", "HOLDING", " Holding "])
    func labelsAreTakenInAnyCaseAndStoredAsTheSchemaSpellsThem(typed: String) throws {
        #expect(try ValueParser.parse(typed, kind: "cell", field: "trajectory") == .text("Holding"))
        #expect(try ValueParser.parse(typed, kind: "signal", field: "direction") == .text("Holding"))
    }

    @Test func aMistypedFieldNameGetsTheClosestName() {
        let swapped = #expect(throws: ClientError.self) { try ValueParser.parse("Holding", kind: "cell", field: "trajectroy") }
        #expect(swapped?.description.hasPrefix("a cell has no field 'trajectroy'. Did you mean 'trajectory'? (its fields are: ") == true,
                "\(String(describing: swapped))")
        let cased = #expect(throws: ClientError.self) { try ValueParser.parse("x", kind: "cell", field: "Assessment") }
        #expect(cased?.description.contains("Did you mean 'assessment'?") == true, "\(String(describing: cased))")
        let far = #expect(throws: ClientError.self) { try ValueParser.parse("x", kind: "cell", field: "colour") }
        #expect(far?.description.hasPrefix("a cell has no field 'colour'; its fields are: ") == true, "\(String(describing: far))")
    }
}
