public import Foundation
public import SyncModel
import Crypto

/// Versions in a file, for where no network reaches: what `sync-client bundle create` writes and
/// `bundle apply` (or `sync-server bundle apply`) reads.
///
/// ## Formats
/// Format 1 carries each replica's versions as one run without gaps. Format 2 is a bundle made
/// for one analyst (``Header/receiver``) and filtered by what they may read: a replica's runs
/// may leave gaps where versions of records the receiver is not cleared for were left out, so
/// it presupposes only what its versions were written on top of (see
/// `BundleContents.prerequisites`), and it names the compartments of the records it carries
/// outside the default one (``Header/compartments``).
///
/// ## Layout
/// `FSBUNDLE`, the format (one byte), the header as JSON (its length first, a varint), the
/// versions as blocks of ``BinaryWire/encodeBlock(_:)`` (a count, then each block's length and
/// bytes), a SHA-256 over everything before it, and the sender's Ed25519 signature of that hash.
///
/// ## What reading checks
/// ``read(_:)`` trusts nothing in the file: the format, the hash (a damaged copy), the sender's
/// signature, every version's place in a range signed by its own replica's key (the header
/// lists each replica's analyst and public key), and that the header's runs and prerequisites
/// are exactly what the versions imply. Whether those keys are the right ones is for the
/// reader to judge: a replica pins the keys it has seen, a server holds the keys replicas
/// bound at their first sync.
public struct VersionBundle: Sendable, Equatable {
    /// The latest format this build reads and writes (see "Formats"); a file of a later one is
    /// refused with a sentence.
    public static let format = 2
    static let magic = Array("FSBUNDLE".utf8)
    static let signatureDomain = Array("field-sync bundle v1".utf8)
    /// Versions per block: a block is decoded whole, so this bounds what is held at once.
    static let blockSize = 20_000

    /// A replica whose versions a bundle carries (or that sent it), with its analyst and key.
    public struct Author: Codable, Sendable, Equatable {
        public var replica: ReplicaID
        public var analyst: String
        public var publicKey: Data

        public init(replica: ReplicaID, analyst: String, publicKey: Data) {
            self.replica = replica
            self.analyst = analyst
            self.publicKey = publicKey
        }
    }

    /// One replica's consecutive versions in a bundle, counters `first...last`.
    public struct Run: Codable, Sendable, Equatable {
        public var replica: ReplicaID
        public var first: UInt64
        public var last: UInt64

        /// The versions it spans; a read bundle's runs are its versions' (checked), whose
        /// counters are at most `Int64.max`.
        public var count: Int { Int(last - first + 1) }
    }

    public struct Header: Codable, Sendable, Equatable {
        public var format: Int
        /// A fresh id per bundle, for people and logs.
        public var id: String
        public var sender: Author
        /// Milliseconds since 1970 on the sender's machine.
        public var created: Int64
        /// The versions it carries, per replica.
        public var covers: [Run]
        /// What the receiver must hold first: each carried replica's versions before its run,
        /// and every version the carried versions were written on top of.
        public var presupposes: VersionVector
        /// Everything the sender held: what a bundle back to it can leave out.
        public var holds: VersionVector
        /// The analyst and key of every replica it carries versions of.
        public var authors: [Author]
        public var signatures: [SignedRange]
        public var count: Int
        /// The compartments the sender named for records it made (see ``Placement``), which the
        /// server places them in when it takes the bundle; absent from older bundles.
        public var homes: [Placement]?
        /// The analyst a filtered bundle was made for (format 2); nil for one made for anyone.
        public var receiver: String?
        /// The compartments of the records it carries outside the default compartment alone, as
        /// the sender knew them (format 2): what the receiver checks against its clearances and
        /// keeps, so that a revoke removes them there too.
        public var compartments: RecordCompartments?
    }

    public var header: Header
    /// The versions as the file holds them, blocks of at most ``blockSize`` encoded by
    /// ``BinaryWire/encodeBlock(_:)``: a large bundle is held at about its file's size, and
    /// decoded a block at a time (``forEachBlock(_:)``). A bundle read from a file keeps the
    /// file's bytes, and its blocks are slices of them.
    private(set) var blocks: [ArraySlice<UInt8>]
    /// The records its versions belong to, sorted.
    public let records: [RecordID]
    private let byAnalyst: [String: Int]
    private let byKind: [String: Int]

    /// A bundle of `versions` signed by `signatures`, from `sender`, whose key signs the whole.
    /// Without a `receiver`, each replica's versions are a run without gaps (format 1); with
    /// one, they are what that analyst may read, with the `compartments` of their records
    /// outside the default one (format 2). For many versions, ``Builder`` takes them a run at
    /// a time.
    public init(
        sender: Author, versions: [Version], signatures: [SignedRange], authors: [Author],
        holds: VersionVector, created: Int64, id: String = UUID().uuidString.lowercased(),
        receiver: String? = nil, compartments: RecordCompartments = [:]
    ) {
        var builder = Builder(filtered: receiver != nil)
        // Usually already in order: then no copy is made.
        let ordered = versions.indices.dropFirst().allSatisfy { versions[$0 - 1].dot < versions[$0].dot }
        builder.append(ordered ? versions : versions.sorted { $0.dot < $1.dot })
        self = builder.finish(sender: sender, signatures: signatures, authors: authors, holds: holds, created: created, id: id,
                              receiver: receiver, compartments: compartments)
    }

    init(header: Header, blocks: [ArraySlice<UInt8>], contents: BundleContents) {
        self.header = header
        self.blocks = blocks
        records = contents.records.sorted()
        byAnalyst = contents.byAnalyst
        byKind = contents.byKind
    }

    /// Every version, decoded at once, each replica's in counter order, replicas in the order
    /// of `header.covers`. A large bundle is better read with ``forEachBlock(_:)``.
    public var versions: [Version] {
        var versions: [Version] = []
        forEachBlock { versions += $0 }
        return versions
    }

    /// Calls `body` with each block of versions in order (at most ``blockSize`` each), decoding
    /// one block at a time.
    public func forEachBlock(_ body: ([Version]) throws -> Void) rethrows {
        for block in blocks {
            // Each block was encoded here or decoded once when the file was read and checked.
            try body(try! BinaryWire.decodeBlock(block))
        }
    }

    /// The file's bytes, signed by `key` (the sender's).
    public func encoded(signedBy key: SigningKey) -> Data {
        var copy = self
        return Data(copy.sign(with: key))
    }

    /// The file's bytes, signed by `key` (the sender's), written once into a buffer reserved
    /// for them; the blocks become slices of it, each block's own bytes let go as it is
    /// copied, so a large bundle is held once.
    public mutating func sign(with key: SigningKey) -> [UInt8] {
        var writer = BinaryWriter()
        writer.bytes(Self.magic)
        writer.byte(UInt8(header.format))
        let header = Array(WireProtocol.encode(self.header))
        writer.varint(UInt64(header.count))
        writer.bytes(header)
        writer.varint(UInt64(blocks.count))
        var file: [UInt8] = []
        file.reserveCapacity(writer.buffer.count + blocks.reduce(0) { $0 + $1.count + 10 } + 96)
        file += writer.buffer
        var ranges: [Range<Int>] = []
        for index in blocks.indices {
            writer.clear()
            writer.varint(UInt64(blocks[index].count))
            file += writer.buffer
            ranges.append(file.count..<file.count + blocks[index].count)
            file += blocks[index]
            blocks[index] = []
        }
        let hash = Array(SHA256.hash(data: file))
        file += hash
        file += key.sign(Data(Self.signatureDomain + hash))
        blocks = ranges.map { file[$0] }
        return file
    }

    /// Reads and checks a bundle file (see the type's description); throws ``BundleError``
    /// with a sentence for anything wrong. The versions are checked a block at a time and kept
    /// encoded.
    public static func read(_ data: Data) throws -> VersionBundle {
        if SealedBundle.isSealed(data) { throw BundleError.sealed(try SealedBundle.recipient(of: data)) }
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { throw BundleError.notABundle }
        guard bytes.count > magic.count else { throw BundleError.damaged("it ends after its first bytes (truncated)") }
        let format = Int(bytes[magic.count])
        guard format <= Self.format else { throw BundleError.newerFormat(format) }
        guard format >= 1 else { throw BundleError.damaged("its format number is 0") }
        guard bytes.count >= magic.count + 1 + 32 + 64 else { throw BundleError.damaged("it is \(bytes.count) bytes, too short to hold its hash and signature (truncated)") }
        let bodyEnd = bytes.count - 96
        let hash = Array(SHA256.hash(data: bytes[0..<bodyEnd]))
        guard hash == Array(bytes[bodyEnd..<bodyEnd + 32]) else { throw BundleError.hashMismatch }
        let signature = Data(bytes[(bodyEnd + 32)..<bytes.count])
        // The whole file, not copied: its hash and signature are the 96 bytes left at the end,
        // which no length in the body may reach into.
        var reader = BinaryReader(bytes)
        _ = try reader.bytes(magic.count + 1)
        func chunk() throws -> ArraySlice<UInt8> {
            let chunk = try reader.bytes(reader.count(minimumBytesEach: 1))
            guard reader.remaining >= 96 else { throw BinaryWireError("a length runs into the file's hash and signature") }
            return chunk
        }
        let header: Header
        do {
            let json = try chunk()
            header = try JSONDecoder().decode(Header.self, from: Data(json))
        } catch {
            throw BundleError.damaged("its header cannot be read (\(error))")
        }
        guard header.format == format else { throw BundleError.damaged("its header says format \(header.format) but the file says \(format)") }
        guard SignatureCheck.verify(signature, of: Data(signatureDomain + hash), publicKey: header.sender.publicKey) else {
            throw BundleError.badSenderSignature(header.sender.replica)
        }
        var check = try BundleCheck(header)
        var blocks: [ArraySlice<UInt8>] = []
        do {
            for _ in 0..<(try reader.count(minimumBytesEach: 2)) {
                let block = try chunk()
                // Applying stores a block at a time: one is never more than a page.
                for version in try BinaryWire.decodeBlock(block, atMost: blockSize) { try check.add(version) }
                blocks.append(block)
            }
            guard reader.remaining == 96 else { throw BinaryWireError("\(reader.remaining - 96) bytes follow the end of the message") }
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError.damaged("its versions cannot be read (\(error))")
        }
        return VersionBundle(header: header, blocks: blocks, contents: try check.finish())
    }

    /// What the bundle holds, for people: versions per analyst, per record kind, records touched.
    public var summary: (byAnalyst: [String: Int], byKind: [String: Int], records: Int) {
        (byAnalyst, byKind, records.count)
    }
}
