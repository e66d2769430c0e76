import Foundation
@testable import LocalStore
import SyncModel
import Testing
import TestSupport

@Suite struct ValueTextTests {
    @Test("stored values round-trip exactly", arguments: [
        FieldValue.null, .bool(true), .bool(false), .int(0), .int(-42), .int(Int64.max),
        .text(""), .text("plain"), .text("quote \" backslash \\ slash / tab \t newline \n cr \r"),
        .text("control \u{01}\u{1F} and emoji 🛰️ and accents é"), .list([]), .list(["a", "b,c", "[d]", "\"e\""]),
    ])
    func roundTrip(value: FieldValue) throws {
        #expect(try ValueText.decode(ValueText.encode(value)) == value)
    }

    @Test("the stored text is what a JSON parser reads too", arguments: testSeeds(count: 100, base: 40_000))
    func agreesWithFoundation(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let scalars = (0..<Int.random(in: 0...40, using: &random)).compactMap { _ in
            Unicode.Scalar(UInt32.random(in: 1...0x2FFF, using: &random))
        }
        let text = String(String.UnicodeScalarView(scalars))
        let encoded = ValueText.encode(.text(text))
        #expect(try JSONDecoder().decode(FieldValue.self, from: Data(encoded.utf8)) == .text(text), "seed \(seed)")
        #expect(try ValueText.decode(String(decoding: try JSONEncoder().encode(FieldValue.text(text)), as: UTF8.self)) == .text(text), "seed \(seed)")
    }

    @Test("malformed text is refused", arguments: ["", "nul", "\"open", "[\"a\"", "[1]", "\"bad \\u12\"", "12x"])
    func malformed(text: String) {
        #expect(throws: ValueText.Malformed.self) { try ValueText.decode(text) }
    }
}
