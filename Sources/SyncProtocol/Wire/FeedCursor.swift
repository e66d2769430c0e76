public import SyncModel

/// A position in a server's feed: every version the server stores is numbered in the order it
/// arrived, and a client that has every version up to `seq` asks only for those after it.
///
/// `chain` is a hash of every dot up to `seq`, in order. The server honours a cursor only if
/// its own feed has the same chain at `seq`, so a cursor saved against another database, or
/// against this one before it was restored from a backup, is refused rather than trusted
/// (the client then falls back to sending its whole vector).
public struct FeedCursor: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How many feed entries the position covers.
    public var seq: UInt64
    /// FNV-1a (64-bit) over every dot's replica bytes and counter up to `seq`; 0 at the start.
    public var chain: UInt64

    public init(seq: UInt64, chain: UInt64) {
        self.seq = seq
        self.chain = chain
    }

    /// Before the first version: a cursor every feed honours.
    public static let start = FeedCursor(seq: 0, chain: 0)

    /// The position after `dot`, the feed's next entry.
    public func advanced(by dot: Dot) -> FeedCursor {
        advanced(replicaBytes: dot.replica.bytes, counter: dot.counter)
    }

    /// The same, for a replica whose 16 bytes the caller already has.
    package func advanced(replicaBytes: [UInt8], counter: UInt64) -> FeedCursor {
        FeedCursor(seq: seq + 1, chain: Self.extend(chain, replicaBytes: replicaBytes, counter: counter))
    }

    private static func extend(_ chain: UInt64, replicaBytes: [UInt8], counter: UInt64) -> UInt64 {
        var hash: UInt64 = chain == 0 ? 0xcbf2_9ce4_8422_2325 : chain
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        for byte in replicaBytes { mix(byte) }
        for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: counter >> UInt64(shift))) }
        // 0 stands for the empty feed only.
        return hash == 0 ? 1 : hash
    }

    /// `seq:chain-in-hex`, as stored in a replica's meta table.
    public var description: String { "\(seq):\(String(chain, radix: 16))" }

    /// Parses ``description``.
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let seq = UInt64(parts[0]), let chain = UInt64(parts[1], radix: 16) else { return nil }
        self.init(seq: seq, chain: chain)
    }

    enum CodingKeys: String, CodingKey { case seq, chain }

    /// JSON: `{"seq": 12, "chain": "9f3c…"}`; the chain is hex text because JSON numbers lose
    /// precision past 2^53.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(String(chain, radix: 16), forKey: .chain)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(UInt64.self, forKey: .seq)
        let text = try container.decode(String.self, forKey: .chain)
        guard text.utf8.count <= 16, let chain = UInt64(text, radix: 16) else {
            throw DecodingError.dataCorruptedError(forKey: .chain, in: container, debugDescription: "the cursor's chain must be 1 to 16 hex digits")
        }
        self.chain = chain
    }
}

/// What a client's page does to its saved feed cursor.
public enum CursorChange: Sendable, Equatable {
    case keep
    case set(FeedCursor)
    /// The server refused the cursor: forget it, and send the whole vector next time. Its
    /// history changed, so the replica also reports its conflicts to it again.
    case clear
}
