import SyncModel

/// Reads the binary encoding's primitives, checking every length against what remains.
struct BinaryReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }

    var remaining: Int { bytes.count - offset }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw BinaryWireError("the body ends early (truncated?)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw BinaryWireError("the body ends early (truncated?)") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64, shift < 63 || next <= 1 else { throw BinaryWireError("a number is over 64 bits") }
            result |= UInt64(next & 0x7F) << shift
            if next < 0x80 { return result }
            shift += 7
        }
    }

    mutating func signed() throws -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// A count of items that each take at least `minimumBytesEach`: never more than could fit.
    mutating func count(minimumBytesEach: Int) throws -> Int {
        let count = try varint()
        guard count <= UInt64(remaining / max(1, minimumBytesEach)) else {
            throw BinaryWireError("a count of \(count) items does not fit in the \(remaining) bytes left")
        }
        return Int(count)
    }

    mutating func string() throws -> String {
        let length = try varint()
        guard length <= UInt64(remaining) else { throw BinaryWireError("a string of \(length) bytes does not fit in the \(remaining) bytes left") }
        let slice = try bytes(Int(length))
        guard let text = String(validating: slice, as: UTF8.self) else { throw BinaryWireError("a string is not valid UTF-8") }
        return text
    }

    mutating func value() throws -> FieldValue {
        switch try byte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .int(try signed())
        case 4: return .text(try string())
        case 5:
            var items: [String] = []
            for _ in 0..<(try count(minimumBytesEach: 1)) { items.append(try string()) }
            return .list(items)
        case let tag: throw BinaryWireError("unknown value tag \(tag)")
        }
    }

    func expectEnd() throws {
        guard remaining == 0 else { throw BinaryWireError("\(remaining) bytes follow the end of the message") }
    }
}
