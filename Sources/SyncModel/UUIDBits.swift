import Foundation

/// The 128 bits of a UUID as two words, most significant first.
///
/// Ids are met for every version a sync moves: held as bits they hash and compare as two
/// integers and copy without reference counting, where a 36-character string was hashed byte
/// by byte and retained on every copy. Their order is that of their lowercase text.
struct UUIDBits: Hashable, Comparable, Sendable {
    var high: UInt64
    var low: UInt64

    static func < (lhs: UUIDBits, rhs: UUIDBits) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init(uuid: UUID) {
        self = withUnsafeBytes(of: uuid.uuid) { UUIDBits(bytes: $0.bindMemory(to: UInt8.self))! }
    }

    /// Exactly 16 bytes, most significant first; nil for any other count.
    init?(bytes: some Collection<UInt8>) {
        // One witness call per id, then a loop over contiguous bytes, not one call per byte.
        guard let bits = bytes.withContiguousStorageIfAvailable({ UUIDBits(bytes: $0) })
            ?? Array(bytes).withUnsafeBufferPointer({ UUIDBits(bytes: $0) }) else { return nil }
        self = bits
    }

    private init?(bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        self.init(high: high, low: low)
    }

    /// Parses UUID text (8-4-4-4-12 hex digits, either case); nil for anything else.
    init?(text: String) {
        var text = text
        guard let bits = text.withUTF8({ UUIDBits(utf8: $0) }) else { return nil }
        self = bits
    }

    /// The same as ``init(text:)`` for UTF-8 bytes (a slice of a larger text, say).
    init?(utf8: some Collection<UInt8>) {
        guard let bits = utf8.withContiguousStorageIfAvailable({ UUIDBits(utf8: $0) }) ?? Array(utf8).withUnsafeBufferPointer({ UUIDBits(utf8: $0) }) else {
            return nil
        }
        self = bits
    }

    private init?(utf8: UnsafeBufferPointer<UInt8>) {
        guard utf8.count == 36 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var digits = 0
        for index in 0..<36 {
            let byte = utf8[index]
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == 45 else { return nil }  // '-'
                continue
            }
            let nibble: UInt8
            switch byte {
            case 48...57: nibble = byte - 48
            case 97...102: nibble = byte - 87
            case 65...70: nibble = byte - 55
            default: return nil
            }
            if digits < 16 { high = high << 4 | UInt64(nibble) } else { low = low << 4 | UInt64(nibble) }
            digits += 1
        }
        self.init(high: high, low: low)
    }

    /// The 16 bytes, most significant first.
    var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 16) { buffer, count in
            for index in 0..<16 { buffer[index] = byte(index) }
            count = 16
        }
    }

    /// The lowercase 8-4-4-4-12 text.
    var text: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            write(into: buffer)
            return 36
        }
    }

    /// Calls `body` with the lowercase text's 36 UTF-8 bytes, made on the stack.
    func withText<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { buffer in
            write(into: buffer)
            return try body(UnsafeBufferPointer(buffer))
        }
    }

    /// Writes the lowercase text into the first 36 bytes of `buffer`.
    private func write(into buffer: UnsafeMutableBufferPointer<UInt8>) {
        precondition(buffer.count >= 36)
        var out = 0
        for index in 0..<16 {
            if index == 4 || index == 6 || index == 8 || index == 10 {
                buffer[out] = 45  // '-'
                out += 1
            }
            let byte = byte(index)
            buffer[out] = Self.hexDigit(byte >> 4)
            buffer[out + 1] = Self.hexDigit(byte & 15)
            out += 2
        }
    }

    /// The first eight hex digits, for people.
    var short: String {
        String(text.prefix(8))
    }

    private func byte(_ index: Int) -> UInt8 {
        let word = index < 8 ? high : low
        return UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64(index % 8)))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 48 + nibble : 87 + nibble
    }
}
