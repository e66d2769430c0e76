import SyncClientCore
import Testing

/// A signal's excerpt: its first characters, line breaks flattened, cut at a word.
@Suite struct SignalSummaryTests {
    @Test func aShortBodyIsShownWholeWithItsLinesFlattened() {
        #expect(SignalSummary.excerpt("First line.\n\nSecond line.") == "First line. Second line.")
        #expect(SignalSummary.excerpt("") == nil)
        #expect(SignalSummary.excerpt(nil) == nil)
    }

    @Test func aLongBodyIsCutAtAWordAndMarked() throws {
        let body = String(repeating: "word ", count: 20_000) + "end"
        let excerpt = try #require(SignalSummary.excerpt(body))
        #expect(excerpt.hasSuffix(" …") && !excerpt.contains("end"))
        #expect(excerpt.count <= SignalSummary.excerptCharacters + 2)
        #expect(excerpt.dropLast(2).split(separator: " ").allSatisfy { $0 == "word" }, "cut between words")
    }

    @Test func onlyTheBodysHeadIsReadYetLineBreaksCannotHideItsText() throws {
        // The head read is a few times the excerpt, after leading blank lines; line breaks
        // collapse, so a head may flatten shorter than the excerpt while the body goes on.
        let body = String(repeating: "\n", count: 4 * SignalSummary.excerptCharacters) + "Text after many blank lines."
        #expect(SignalSummary.excerpt(body) == "Text after many blank lines.")
        let paragraphs = String(repeating: "Line.\n\n\n\n", count: 2 * SignalSummary.excerptCharacters)
        let excerpt = try #require(SignalSummary.excerpt(paragraphs))
        #expect(excerpt.hasPrefix("Line. Line.") && excerpt.hasSuffix(" …"))
        let short = String(repeating: "\n", count: 10) + "Text."
        #expect(SignalSummary.excerpt(short) == "Text.")
    }
}
