/// A conflict's identity, derived from its record, field and head dots, so that every replica
/// names the same conflict the same way.
public struct ConflictID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Sixteen lowercase hex digits.
    public let rawValue: String

    public init(record: RecordID, field: String, heads: [Dot]) {
        var hash = StableHash()
        hash.combine(record.rawValue)
        hash.combine(field)
        for dot in heads.sorted() {
            hash.combine(dot.replica.rawValue)
            hash.combine(String(dot.counter))
        }
        rawValue = hash.hex
    }

    /// Accepts a full id; prefixes are matched by the store.
    public init?(_ text: String) {
        guard text.utf8.count == 16, text.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        rawValue = text
    }

    public var description: String { rawValue }

    public static func < (lhs: ConflictID, rhs: ConflictID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ConflictID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text.prefix(40))' is not a conflict id")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// 64-bit FNV-1a over length-prefixed strings: stable across processes and platforms.
struct StableHash {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ text: String) {
        for byte in String(text.utf8.count).utf8 { mix(byte) }
        mix(0x3A)
        for byte in text.utf8 { mix(byte) }
    }

    private mutating func mix(_ byte: UInt8) {
        state ^= UInt64(byte)
        state &*= 0x0000_0100_0000_01B3
    }

    var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
