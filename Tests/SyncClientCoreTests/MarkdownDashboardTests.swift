import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import Testing

@Suite struct MarkdownDashboardTests {
    @Test func theSampleRoundTripsThroughMarkdownWithoutLoss() throws {
        let original = try Replica.inMemory(analyst: "alice")
        try DashboardFixtures.importJSON(try DashboardFixtures.sample(), into: original)
        let pages = try DashboardFixtures.exportMarkdown(original)
        let copy = try Replica.inMemory(analyst: "bob")
        try DashboardFixtures.importMarkdown(pages, into: copy)
        #expect(try DashboardFixtures.exportMarkdown(copy) == pages)
        #expect(try DashboardFixtures.exportJSON(copy) == DashboardFixtures.exportJSON(original), "every field survives")
    }

    @Test func textThatLooksLikeMarkdownStructureSurvives() throws {
        let replica = try Replica.inMemory(analyst: "alice")
        let cell = RecordID("abcdabcd-0000-4000-8000-000000000001")!
        try replica.write([
            FieldChange(record: cell, kind: "cell", field: "number", value: .int(4)),
            FieldChange(record: cell, kind: "cell", field: "title", value: .text("Title — with a dash \\ and a backslash")),
            FieldChange(record: cell, kind: "cell", field: "assessment", value: .text("# not a heading\n- not a fact\n\\ leading backslash\n<!-- not a marker -->\n\nlast")),
            FieldChange(record: cell, kind: "cell", field: "sources", value: .list(["two\nlines", "- dash first"])),
        ], at: 1)
        let copy = try Replica.inMemory(analyst: "bob")
        try DashboardFixtures.importMarkdown(try DashboardFixtures.exportMarkdown(replica), into: copy)
        #expect(try copy.store.record(cell)?.fields.mapValues(\.value) == replica.store.record(cell)?.fields.mapValues(\.value))
    }

    static let valid = """
        <!-- field-sync dashboard, version 1 -->

        # Cell 20 — Burden-Sharing

        - id: 20202020-0000-4000-8000-000000000020
        - trajectory: Advancing

        ## Key Indicators

        1. NATO spending

        ## Signal Backlog

        ### 2026-02-18 — Board of Peace

        - id: 5151aaaa-0000-4000-8000-000000000001
        - cells: 20

        Body text.
        """

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, text: String, line: Int, message: String
        init(_ name: String, _ text: String, _ line: Int, _ message: String) {
            (self.name, self.text, self.line, self.message) = (name, text, line, message)
        }
        var testDescription: String { name }
    }

    static let malformedCases: [Case] = [
        Case("no marker", valid.replacingOccurrences(of: "<!-- field-sync dashboard, version 1 -->", with: "# Dashboard"), 1, "expected the first line"),
        Case("stray text", valid.replacingOccurrences(of: "# Cell 20", with: "Cell 20"), 3, "expected '# Cell N — Title'"),
        Case("bad number", valid.replacingOccurrences(of: "# Cell 20", with: "# Cell twenty"), 3, "expected a cell number"),
        Case("bad id", valid.replacingOccurrences(of: "- id: 20202020", with: "- id: xx202020"), 5, "expected '- id: UUID'"),
        Case("unknown fact", valid.replacingOccurrences(of: "- trajectory: Advancing", with: "- colour: red"), 6, "unknown fact 'colour'"),
        Case("bad trajectory", valid.replacingOccurrences(of: "- trajectory: Advancing", with: "- trajectory: Up"), 6, "is not one of"),
        Case("fact without colon", valid.replacingOccurrences(of: "- trajectory: Advancing", with: "- trajectory Advancing"), 6, "expected '- key: value'"),
        Case("unknown section", valid.replacingOccurrences(of: "## Key Indicators", with: "## Notes"), 8, "unknown section 'Notes'"),
        Case("unnumbered indicator", valid.replacingOccurrences(of: "1. NATO spending", with: "NATO spending"), 10, "expected a numbered item"),
        Case("bad signal date", valid.replacingOccurrences(of: "### 2026-02-18", with: "### Feb 2026"), 14, "is not a date"),
        Case("signal heading without title", valid.replacingOccurrences(of: "### 2026-02-18 — Board of Peace", with: "### 2026-02-18"), 14, "expected '### DATE — Title'"),
        Case("bad cell reference", valid.replacingOccurrences(of: "- cells: 20", with: "- cells: twenty"), 17, "not a cell number"),
        Case("duplicate fact", valid.replacingOccurrences(of: "- trajectory: Advancing", with: "- trajectory: Advancing\n- trajectory: Holding"), 7, "given twice"),
    ]

    @Test("a malformed page is refused at its line and imports nothing", arguments: malformedCases)
    func malformed(testCase: Case) throws {
        let replica = try Replica.inMemory(analyst: "alice")
        let before = try replica.store.canonicalDump()
        do {
            try DashboardFixtures.importMarkdown(testCase.text, into: replica)
            Issue.record("\(testCase.name) was imported")
        } catch let error as ImportError {
            #expect(error.line == testCase.line, "\(testCase.name): \(error)")
            #expect(error.description.contains(testCase.message), "\(testCase.name): \(error)")
        }
        #expect(try replica.store.canonicalDump() == before)
    }

    @Test func theValidPageImports() throws {
        let replica = try Replica.inMemory(analyst: "alice")
        try DashboardFixtures.importMarkdown(Self.valid, into: replica)
        #expect(try replica.store.records(kind: "signal").first?.value("body") == .text("Body text."))
        #expect(try replica.store.records(kind: "cell").first?.value("keyIndicators") == .list(["NATO spending"]))
    }
}
