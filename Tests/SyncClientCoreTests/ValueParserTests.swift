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
}
