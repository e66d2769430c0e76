public import Foundation

/// A replica's random 128-bit identity, written as a lowercase UUID string.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The canonical lowercase UUID text.
    public let rawValue: String

    /// Parses a replica id; returns nil unless `text` is a UUID.
    public init?(_ text: String) {
        guard let canonical = UUIDText.canonical(text) else { return nil }
        rawValue = canonical
    }

    /// Parses a replica id from UTF-8 bytes; nil unless they are a UUID.
    public init?(utf8: some Collection<UInt8>) {
        guard let canonical = UUIDText.canonical(utf8: utf8) else { return nil }
        rawValue = canonical
    }

    /// Wraps a UUID.
    public init(uuid: UUID) { rawValue = uuid.uuidString.lowercased() }

    /// A fresh random replica id.
    public static func random() -> ReplicaID { ReplicaID(uuid: UUID()) }

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

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool { lhs.rawValue < rhs.rawValue }
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
