/// Parsing UUID text without Foundation's `sscanf`-based parser (ids are parsed on every read).
enum UUIDText {
    /// The lowercase form of `text` if it is a UUID (8-4-4-4-12 hex digits), else nil.
    static func canonical(_ text: String) -> String? {
        var utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
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
