import SyncModel

/// The JSON text of a stored value, written and read by hand: values are decoded on every read
/// of a version, and Foundation's JSON coders dominated that cost.
enum ValueText {
    static func encode(_ value: FieldValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .text(let text): return quoted(text)
        case .list(let items): return "[" + items.map(quoted).joined(separator: ",") + "]"
        }
    }

    static func quoted(_ text: String) -> String {
        // Most text needs no escape: copied whole, with its quotes, into one new string.
        var text = text
        let plain: String? = text.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 34 || $0 == 92 }) else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count + 2) { out in
                out[0] = 34
                _ = UnsafeMutableBufferPointer(rebasing: out[1...]).initialize(fromContentsOf: bytes)
                out[bytes.count + 1] = 34
                return bytes.count + 2
            }
        }
        if let plain { return plain }
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    struct Malformed: Error {}

    static func decode(_ text: String) throws -> FieldValue {
        switch text {
        case "null": return .null
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: break
        }
        var parser = Parser(bytes: Array(text.utf8))
        let value: FieldValue
        switch parser.peek() {
        case UInt8(ascii: "\""): value = .text(try parser.string())
        case UInt8(ascii: "["): value = .list(try parser.array())
        default:
            guard let number = Int64(text) else { throw Malformed() }
            return .int(number)
        }
        guard parser.atEnd else { throw Malformed() }
        return value
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }
        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func expect(_ byte: UInt8) throws {
            guard peek() == byte else { throw Malformed() }
            index += 1
        }

        mutating func array() throws -> [String] {
            try expect(UInt8(ascii: "["))
            var items: [String] = []
            if peek() == UInt8(ascii: "]") { index += 1; return items }
            while true {
                items.append(try string())
                if peek() == UInt8(ascii: ",") { index += 1; continue }
                try expect(UInt8(ascii: "]"))
                return items
            }
        }

        mutating func string() throws -> String {
            try expect(UInt8(ascii: "\""))
            do {
                return try JSONStringScanner.scan(bytes, &index, allowNewlines: true)
            } catch {
                throw Malformed()
            }
        }
    }
}
