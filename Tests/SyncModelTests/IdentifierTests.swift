import Foundation
import SyncModel
import Testing
import TestSupport

/// Record and replica ids are held as 128 bits; their text, bytes, order and equality must be
/// exactly those of the lowercase UUID text they stand for.
@Suite struct IdentifierTests {
    /// A random lowercase UUID text and its 16 bytes.
    static func randomID(_ random: inout SplitMix64) -> (text: String, bytes: [UInt8]) {
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let text = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }.joined(separator: "-")
        return (text, bytes)
    }

    @Test("text, bytes and UTF-8 slices give the same id, whose text and bytes are the originals", arguments: testSeeds(count: 20, base: 40_000))
    func formsAgree(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<50 {
            let (text, bytes) = Self.randomID(&random)
            let fromText = try #require(RecordID(text), "seed \(seed): \(text)")
            #expect(fromText.rawValue == text, "seed \(seed)")
            #expect(fromText.bytes == bytes, "seed \(seed): \(text)")
            #expect(fromText.short == String(text.prefix(8)))
            // A slice that does not start at index 0, and a collection with no contiguous storage.
            let padded = [0xAA, 0xBB] + bytes
            #expect(RecordID(bytes: padded[2...]) == fromText, "seed \(seed): \(text)")
            #expect(RecordID(bytes: bytes.lazy.map { $0 }) == fromText, "seed \(seed): \(text)")

            let replica = try #require(ReplicaID(text))
            #expect(replica.rawValue == text && replica.bytes == bytes, "seed \(seed): \(text)")
            #expect(ReplicaID(bytes: bytes) == replica, "seed \(seed): \(text)")
            // UTF-8 from a larger text, as clocks are read: a slice, then a non-contiguous view.
            #expect(ReplicaID(utf8: Array(("x:" + text).utf8)[2...]) == replica, "seed \(seed): \(text)")
            #expect(ReplicaID(utf8: text.utf8.lazy.map { $0 }) == replica, "seed \(seed): \(text)")
        }
    }

    @Test("ids order as their text does", arguments: testSeeds(count: 20, base: 41_000))
    func orderIsTextOrder(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var texts = (0..<200).map { _ in Self.randomID(&random).text }
        // Ids sharing a long prefix differ only in their low word.
        texts += texts.prefix(20).map { String($0.prefix(30)) + "000000" }
        let ids = try texts.map { try #require(ReplicaID($0)) }
        #expect(ids.sorted().map(\.rawValue) == texts.sorted(), "seed \(seed)")
        #expect(try texts.map { try #require(RecordID($0)) }.sorted().map(\.rawValue) == texts.sorted(), "seed \(seed)")
    }

    @Test("upper-case text names the same id and reads back in lower case")
    func upperCaseIsTheSameID() throws {
        let uuid = UUID()
        let upper = try #require(RecordID(uuid.uuidString))
        let lower = try #require(RecordID(uuid.uuidString.lowercased()))
        #expect(upper == lower && upper.hashValue == lower.hashValue)
        #expect(upper.rawValue == uuid.uuidString.lowercased())
        #expect(ReplicaID(uuid: uuid).rawValue == uuid.uuidString.lowercased())
        #expect(Set([upper, lower, RecordID.random()]).count == 2)
    }

    @Test("anything but 8-4-4-4-12 hex digits, or 16 bytes, is refused", arguments: [
        "", "0123456789abcdef0123456789abcdef", "01234567-89ab-cdef-0123-456789abcde",
        "01234567-89ab-cdef-0123-456789abcdef0", "0123456789-ab-cdef-0123-456789abcdef",
        "01234567-89ab-cdef-0123-456789abcdeg", "01234567_89ab-cdef-0123-456789abcdef",
        "01234567-89ab-cdef-0123-456789abcdé", " 1234567-89ab-cdef-0123-456789abcdef",
    ])
    func malformedTextIsRefused(text: String) {
        #expect(RecordID(text) == nil)
        #expect(ReplicaID(text) == nil)
        #expect(ReplicaID(utf8: text.utf8) == nil)
    }

    @Test("byte forms of other lengths are refused", arguments: [0, 15, 17, 36])
    func wrongByteCountsAreRefused(count: Int) {
        #expect(RecordID(bytes: [UInt8](repeating: 7, count: count)) == nil)
        #expect(ReplicaID(bytes: [UInt8](repeating: 7, count: count)) == nil)
    }
}
