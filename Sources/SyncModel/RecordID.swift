import Foundation

/// A record's random identity, written as a lowercase UUID string.
public struct RecordID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The canonical lowercase UUID text.
    public let rawValue: String

    /// Parses a record id; returns nil unless `text` is a UUID.
    public init?(_ text: String) {
        guard let canonical = UUIDText.canonical(text) else { return nil }
        rawValue = canonical
    }

    /// A fresh random record id.
    public static func random() -> RecordID { RecordID(UUID().uuidString)! }

    /// The id as 16 bytes (for compact encodings).
    public var bytes: [UInt8] { UUIDText.bytes(rawValue) }

    /// The id of 16 bytes; nil unless there are exactly 16.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        rawValue = UUIDText.text(bytes)
    }

    public var description: String { rawValue }
    /// The first eight characters, for people.
    public var short: String { String(rawValue.prefix(8)) }

    public static func < (lhs: RecordID, rhs: RecordID) -> Bool { lhs.rawValue < rhs.rawValue }
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
