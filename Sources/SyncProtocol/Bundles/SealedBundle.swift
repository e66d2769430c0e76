public import Foundation
import Crypto

/// A bundle encrypted to the sync server's key (HPKE, X25519 with ChaCha20-Poly1305), so a
/// lost stick leaks nothing: only the server that holds the private key opens it.
///
/// Layout: `FSSEALED`, a version byte, the first 8 bytes of the SHA-256 of the recipient's
/// public key (which server it is for), the encapsulated key (its length first, a varint), then
/// the sealed bundle file. The header is authenticated with the ciphertext.
public enum SealedBundle {
    static let magic = Array("FSSEALED".utf8)
    static let version: UInt8 = 1
    static var suite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }
    static let info = Data("field-sync sealed bundle v1".utf8)

    /// Whether `data` is a sealed bundle (by its first bytes).
    public static func isSealed(_ data: Data) -> Bool { data.starts(with: magic) }

    /// Who a public key is, for people: 16 hex digits of its SHA-256.
    public static func fingerprint(_ publicKey: Data) -> String {
        SHA256.hash(data: publicKey).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// `bundle` (a bundle file's bytes) sealed to `publicKey`, a server's 32-byte X25519 key.
    public static func seal(_ bundle: some DataProtocol, to publicKey: Data) throws -> Data {
        let recipient: Curve25519.KeyAgreement.PublicKey
        do {
            recipient = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey)
        } catch {
            throw BundleError.damaged("the server's bundle key saved in this replica is malformed; sync again to fetch it")
        }
        var sender = try HPKE.Sender(recipientKey: recipient, ciphersuite: suite, info: info)
        var header = BinaryWriter()
        header.bytes(magic)
        header.byte(version)
        header.bytes(Array(SHA256.hash(data: publicKey).prefix(8)))
        header.varint(UInt64(sender.encapsulatedKey.count))
        header.bytes(Array(sender.encapsulatedKey))
        let sealed = try sender.seal(bundle, authenticating: header.buffer)
        return header.data + sealed
    }

    /// The fingerprint of the key a sealed bundle was sealed to.
    public static func recipient(of data: Data) throws -> String {
        let bytes = [UInt8](data.prefix(magic.count + 9))
        guard bytes.count == magic.count + 9 else { throw BundleError.damaged("it ends before its header (truncated)") }
        return bytes[(magic.count + 1)...].map { String(format: "%02x", $0) }.joined()
    }

    /// The bundle file inside `data`, opened with the server's private key; throws
    /// ``BundleError`` for a bundle sealed to another key or altered on the way.
    public static func open(_ data: Data, privateKey: Data) throws -> Data {
        let key: Curve25519.KeyAgreement.PrivateKey
        do {
            key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: privateKey)
        } catch {
            throw BundleError.damaged("the server's own bundle key is malformed")
        }
        let bytes = [UInt8](data)
        guard bytes.count > magic.count, bytes[magic.count] == version else {
            throw BundleError.newerFormat(bytes.count > magic.count ? Int(bytes[magic.count]) : 0)
        }
        let addressed = try recipient(of: data)
        let own = fingerprint(key.publicKey.rawRepresentation)
        guard addressed == own else { throw BundleError.sealedToAnotherKey(addressed: addressed, own: own) }
        var reader = BinaryReader(bytes[(magic.count + 9)...])
        let encapsulated: Data
        do {
            encapsulated = Data(try reader.bytes(reader.count(minimumBytesEach: 1)))
        } catch {
            throw BundleError.damaged("its sealed header cannot be read (truncated)")
        }
        let headerLength = bytes.count - reader.remaining
        do {
            var recipient = try HPKE.Recipient(privateKey: key, ciphersuite: suite, info: info, encapsulatedKey: encapsulated)
            return try recipient.open(bytes[headerLength...], authenticating: bytes[..<headerLength])
        } catch {
            throw BundleError.damaged("it cannot be decrypted: altered or truncated on the way")
        }
    }
}

/// The server's key pair for sealed bundles (X25519).
public struct BundleKey: Sendable {
    public let privateKey: Data

    public static func generate() -> BundleKey { BundleKey(privateKey: Curve25519.KeyAgreement.PrivateKey().rawRepresentation) }

    public init(privateKey: Data) { self.privateKey = privateKey }

    /// The public half, which clients fetch (`GET /v1/bundle-key`); nil for a malformed key.
    public var publicKey: Data? {
        (try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: privateKey))?.publicKey.rawRepresentation
    }
}

/// `GET /v1/bundle-key` answer: the server's public key for sealed bundles.
public struct BundleKeyResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var publicKey: Data
    public var fingerprint: String

    public init(publicKey: Data) {
        protocolVersion = WireProtocol.version
        self.publicKey = publicKey
        fingerprint = SealedBundle.fingerprint(publicKey)
    }
}

/// `GET /v1/replica-keys` answer: the signing key each replica bound at its first sync, so a
/// replica that goes offline knows whose bundles are genuine.
public struct ReplicaKeysResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var replicas: [VersionBundle.Author]

    public init(replicas: [VersionBundle.Author]) {
        protocolVersion = WireProtocol.version
        self.replicas = replicas
    }
}
