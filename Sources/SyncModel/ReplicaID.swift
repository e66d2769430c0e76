public import Foundation

/// A replica's random 128-bit identity, held as its 128 bits and written as a lowercase UUID.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    let bits: UUIDBits

    /// Parses a replica id; returns nil unless `text` is a UUID.
    public init?(_ text: String) {
        guard let bits = UUIDBits(text: text) else { return nil }
        self.bits = bits
    }

    /// Parses a replica id from UTF-8 bytes; nil unless they are a UUID.
    public init?(utf8: some Collection<UInt8>) {
        guard let bits = UUIDBits(utf8: utf8) else { return nil }
        self.bits = bits
    }

    /// Wraps a UUID.
    public init(uuid: UUID) { bits = UUIDBits(uuid: uuid) }

    /// A fresh random replica id.
    public static func random() -> ReplicaID { ReplicaID(uuid: UUID()) }

    /// The canonical lowercase UUID text.
    public var rawValue: String { bits.text }

    /// Calls `body` with the canonical text's 36 UTF-8 bytes, without making a `String`
    /// (for storing and encoding ids on paths that run once per version).
    public func withText<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try bits.withText(body)
    }

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

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool { lhs.bits < rhs.bits }
}

extension ReplicaID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ReplicaID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "replica id '\(text.prefix(40))' is not a UUID")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
