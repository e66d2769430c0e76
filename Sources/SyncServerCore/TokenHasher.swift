import Crypto
import Foundation

/// Bearer tokens: made at random, stored only as SHA-256 hashes.
package enum TokenHasher {
    /// A new token `NAME.SECRET`, where SECRET is 32 random bytes in base64url. The name lets a
    /// client know, offline, whose writes it signs; the secret is what authenticates.
    package static func makeToken(analyst: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let secret = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return analyst + "." + secret
    }

    /// Lowercase hex SHA-256 of the token's UTF-8 bytes.
    package static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }

    /// Whether two hashes are equal, taking the same time wherever they first differ.
    package static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    /// Whether `name` is a valid analyst name: 1 to 32 letters, digits, `_` or `-`.
    package static func isValidName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 95 || byte == 45
        }
    }

    /// The analyst name a token carries, if it has the `NAME.SECRET` form.
    package static func analystName(in token: String) -> String? {
        guard let dot = token.lastIndex(of: ".") else { return nil }
        let name = String(token[..<dot])
        return isValidName(name) ? name : nil
    }
}
