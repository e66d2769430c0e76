/// Parsing UUID text without Foundation's `sscanf`-based parser (ids are parsed on every read).
enum UUIDText {
    /// The lowercase form of `text` if it is a UUID (8-4-4-4-12 hex digits), else nil.
    static func canonical(_ text: String) -> String? {
        canonical(utf8: text.utf8)
    }

    /// The same as ``canonical(_:)`` for UTF-8 bytes (a slice of a larger text, say).
    static func canonical(utf8 bytes: some Collection<UInt8>) -> String? {
        guard bytes.count == 36 else { return nil }
        var utf8 = Array(bytes)
        for index in 0..<36 {
            let byte = utf8[index]
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == 45 else { return nil }
            } else if byte >= 65 && byte <= 70 {
                utf8[index] = byte + 32
            } else {
                guard (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102) else { return nil }
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }
}

extension UUIDText {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The 16 bytes a canonical UUID text stands for.
    static func bytes(_ canonical: String) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: 16)
        var index = 0
        var high: UInt8?
        for byte in canonical.utf8 where byte != 45 {
            let nibble = byte <= 57 ? byte - 48 : byte - 87
            if let first = high {
                result[index] = first << 4 | nibble
                index += 1
                high = nil
            } else {
                high = nibble
            }
        }
        return result
    }

    /// The canonical text of 16 UUID bytes.
    static func text(_ bytes: some Collection<UInt8>) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { utf8.append(45) }
            utf8.append(hexDigits[Int(byte >> 4)])
            utf8.append(hexDigits[Int(byte & 15)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }
}
