/// Reads the body of a JSON string (after its opening quote) with every escape JSON allows:
/// shared by the store's value codec and the client's import reader.
public enum JSONStringScanner {
    public enum Failure: Error, Equatable, Sendable {
        case unterminated, rawNewline, unknownEscape(Character), badHex, loneSurrogate

        public var message: String {
            switch self {
            case .unterminated: "the file ends inside a string"
            case .rawNewline: "a string runs past the end of the line (escape new lines as \\n)"
            case .unknownEscape(let character): "an unknown escape \\\(character)"
            case .badHex: "expected four hex digits after \\u"
            case .loneSurrogate: "a lone surrogate \\u escape"
            }
        }
    }

    /// Scans from `index` (just after the opening quote) to the closing quote, leaving `index`
    /// after it. Raw new lines are refused unless `allowNewlines`.
    public static func scan(_ bytes: [UInt8], _ index: inout Int, allowNewlines: Bool = false) throws(Failure) -> String {
        var utf8: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case 10 where !allowNewlines:
                throw .rawNewline
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw .unterminated }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "n"): utf8.append(10)
                case UInt8(ascii: "r"): utf8.append(13)
                case UInt8(ascii: "t"): utf8.append(9)
                case UInt8(ascii: "b"): utf8.append(8)
                case UInt8(ascii: "f"): utf8.append(12)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(bytes, &index)
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw .loneSurrogate
                        }
                        index += 2
                        let low = try hex4(bytes, &index)
                        guard (0xDC00..<0xE000).contains(low) else { throw .loneSurrogate }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw .loneSurrogate }
                    utf8 += Array(String(Character(unicode)).utf8)
                default:
                    throw .unknownEscape(Character(Unicode.Scalar(escaped)))
                }
            default:
                utf8.append(byte)
            }
        }
        throw .unterminated
    }

    static func hex4(_ bytes: [UInt8], _ index: inout Int) throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw .badHex
        }
        index += 4
        return value
    }
}
