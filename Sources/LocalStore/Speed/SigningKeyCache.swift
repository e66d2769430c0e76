import Foundation
import SyncProtocol

/// The signing key a store's file holds, as last decoded: every sync names the replica's public
/// key, and decoding the stored text into a key derives that public key, a scalar
/// multiplication that cost a no-op sync about 3 % of its round trip. Keyed by the stored text,
/// so a file whose key changed under another process is decoded again.
final class SigningKeyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var last: (text: String, key: SigningKey)?

    /// The key `text` encodes, decoded by `decode` unless it is the text last seen.
    func key(for text: String, decode: (String) throws -> SigningKey) rethrows -> SigningKey {
        if let hit = lock.withLock({ last?.text == text ? last?.key : nil }) { return hit }
        let key = try decode(text)
        lock.withLock { last = (text, key) }
        return key
    }
}
