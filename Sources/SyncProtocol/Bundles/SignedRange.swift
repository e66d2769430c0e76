public import Foundation
public import SyncModel
import Crypto

/// A replica's signature over a run of its own versions, counters `first...last`: what lets
/// anyone carry those versions (in a bundle, or pushed on the author's behalf) without being
/// able to forge or alter them.
///
/// One signature covers a whole run, so it costs 64 bytes once instead of once per version: it
/// signs ``RangeDigest``, a SHA-256 over the run's versions in counter order. A run is at most
/// ``maxVersions`` versions and ``maxBytes`` as a page counts them, so a relayed run always fits
/// in one push.
public struct SignedRange: Codable, Sendable, Hashable {
    public var replica: ReplicaID
    public var first: UInt64
    public var last: UInt64
    /// The Ed25519 signature (64 bytes) of ``RangeDigest/digest(replica:first:last:versions:)``.
    public var signature: Data

    public static let maxVersions = 1_000
    public static let maxBytes = PageBudget.syncBytes / 4

    public init(replica: ReplicaID, first: UInt64, last: UInt64, signature: Data) {
        self.replica = replica
        self.first = first
        self.last = last
        self.signature = signature
    }

    /// The number of versions it covers (of a well-formed range: see ``isWellFormed``).
    public var count: Int { Int(last - first + 1) }

    /// Not empty, not starting at 0, at most ``maxVersions`` long: checked before ``count`` is
    /// read, since a hostile range can span more counters than an `Int` holds.
    public var isWellFormed: Bool {
        first >= 1 && last >= first && last - first < UInt64(Self.maxVersions)
    }

    /// `replica:first-last`, as messages name a range.
    public var label: String { "\(replica):\(first)-\(last)" }
}

/// What a replica's key signs for a run of its versions.
public enum RangeDigest {
    private static let domain = Array("field-sync signed range v1".utf8)

    /// SHA-256 over a domain tag, the replica, `first`, `last` and each version's canonical
    /// bytes (length-prefixed), in counter order. `versions` must be exactly the run's versions.
    public static func digest(replica: ReplicaID, first: UInt64, last: UInt64, versions: some Sequence<Version>) -> Data {
        var digest = Running(replica: replica, first: first, last: last)
        for version in versions { digest.add(version) }
        return digest.finish()
    }

    /// ``digest(replica:first:last:versions:)`` taken a version at a time, for a reader that
    /// meets a range's versions one by one (a bundle read block by block).
    struct Running {
        private var hasher = SHA256()
        private var writer = BinaryWriter()
        private var length = BinaryWriter()

        init(replica: ReplicaID, first: UInt64, last: UInt64) {
            writer.bytes(RangeDigest.domain)
            writer.bytes(replica.bytes)
            writer.varint(first)
            writer.varint(last)
            hasher.update(data: writer.buffer)
        }

        /// The run's next version, in counter order.
        mutating func add(_ version: Version) {
            writer.clear()
            BinaryWire.writeCanonical(version, &writer)
            length.clear()
            length.varint(UInt64(writer.buffer.count))
            hasher.update(data: length.buffer)
            hasher.update(data: writer.buffer)
        }

        func finish() -> Data { Data(hasher.finalize()) }
    }
}

/// A replica's Ed25519 signing key. The private half never leaves the replica file; the public
/// half is bound to the replica by the server at its first sync.
public struct SigningKey: Sendable {
    /// The private key's 32 bytes, as the replica file keeps them.
    public let rawRepresentation: Data
    /// The public key's 32 bytes, derived once (a derivation is a scalar multiplication).
    public let publicKey: Data

    /// A fresh key.
    public static func generate() -> SigningKey {
        SigningKey(checked: Curve25519.Signing.PrivateKey())
    }

    /// The key of `raw`; nil unless it is 32 bytes.
    public init?(rawRepresentation raw: Data) {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else { return nil }
        self.init(checked: key)
    }

    private init(checked key: Curve25519.Signing.PrivateKey) {
        rawRepresentation = key.rawRepresentation
        publicKey = key.publicKey.rawRepresentation
    }

    private var key: Curve25519.Signing.PrivateKey {
        // Checked when made.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation)
    }

    /// Signs `data` (a digest).
    public func sign(_ data: Data) -> Data {
        // Signing fails only for a malformed key, which `init` refuses.
        try! key.signature(for: data)
    }

    /// Signs a run of one replica's consecutive versions (counter order, no gaps) as ranges of
    /// at most ``SignedRange/maxVersions`` and ``SignedRange/maxBytes`` each.
    public func signRanges(_ run: some Collection<Version>) -> [SignedRange] {
        var ranges: [SignedRange] = []
        var chunk: [Version] = []
        var budget = PageBudget(maxBytes: SignedRange.maxBytes)
        func close() {
            guard let first = chunk.first, let last = chunk.last else { return }
            let digest = RangeDigest.digest(replica: first.dot.replica, first: first.dot.counter, last: last.dot.counter, versions: chunk)
            ranges.append(SignedRange(replica: first.dot.replica, first: first.dot.counter, last: last.dot.counter, signature: sign(digest)))
            chunk.removeAll(keepingCapacity: true)
            budget = PageBudget(maxBytes: SignedRange.maxBytes)
        }
        for version in run {
            let size = PageBudget.size(version)
            if chunk.count == SignedRange.maxVersions || !budget.admits(size) {
                close()
                _ = budget.admits(size)
            }
            chunk.append(version)
        }
        close()
        return ranges
    }
}

/// Checks signatures with a replica's public key.
public enum SignatureCheck {
    /// Whether `signature` is `publicKey`'s signature of `data`; false for a malformed key.
    public static func verify(_ signature: Data, of data: Data, publicKey: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: data)
    }

    /// Whether a public key is well formed (32 bytes of a curve point).
    public static func isValidPublicKey(_ publicKey: Data) -> Bool {
        (try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)) != nil
    }
}
