import Foundation

/// A record's random identity, held as its 128 bits and written as a lowercase UUID.
public struct RecordID: Hashable, Comparable, Sendable, CustomStringConvertible {
    let bits: UUIDBits

    /// Parses a record id; returns nil unless `text` is a UUID.
    public init?(_ text: String) {
        guard let bits = UUIDBits(text: text) else { return nil }
        self.bits = bits
    }

    /// A fresh random record id.
    public static func random() -> RecordID { RecordID(bits: UUIDBits(uuid: UUID())) }

    private init(bits: UUIDBits) { self.bits = bits }

    /// The canonical lowercase UUID text.
    public var rawValue: String { bits.text }

    /// Calls `body` with the canonical text's 36 UTF-8 bytes, without making a `String`
    /// (for storing and encoding ids on paths that run once per version).
    public func withText<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try bits.withText(body)
    }

    /// The id's 128 bits as two words, most significant first: compared as a pair, they order
    /// ids as `<` does (for sorting many ids by integers, without a call per comparison).
    public var words: (high: UInt64, low: UInt64) { (bits.high, bits.low) }

    /// The id as 16 bytes (for compact encodings).
    public var bytes: [UInt8] { bits.bytes }

    /// The id of 16 bytes; nil unless there are exactly 16.
    public init?(bytes: some Collection<UInt8>) {
        guard let bits = UUIDBits(bytes: bytes) else { return nil }
        self.bits = bits
    }

    public var description: String { rawValue }
    /// The first eight characters, for people.
    public var short: String { bits.short }

    public static func < (lhs: RecordID, rhs: RecordID) -> Bool { lhs.bits < rhs.bits }
}

extension RecordID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = RecordID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "record id '\(text.prefix(40))' is not a UUID")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
