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
/// ``prerequisites(of:filtered:)``), and it names the compartments of the records it carries
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
    /// Each replica's versions in counter order, replicas in the order of `header.covers`.
    public var versions: [Version]

    /// A bundle of `versions` signed by `signatures`, from `sender`, whose key signs the whole.
    /// Without a `receiver`, each replica's versions are a run without gaps (format 1); with
    /// one, they are what that analyst may read, with the `compartments` of their records
    /// outside the default one (format 2).
    public init(
        sender: Author, versions: [Version], signatures: [SignedRange], authors: [Author],
        holds: VersionVector, created: Int64, id: String = UUID().uuidString.lowercased(),
        receiver: String? = nil, compartments: RecordCompartments = [:]
    ) {
        // Usually already in order: then no copy is made.
        let ordered = versions.indices.dropFirst().allSatisfy { versions[$0 - 1].dot < versions[$0].dot }
        let sorted = ordered ? versions : versions.sorted { $0.dot < $1.dot }
        let filtered = receiver != nil
        header = Header(format: filtered ? 2 : 1, id: id, sender: sender, created: created, covers: Self.runs(of: sorted),
                        presupposes: Self.prerequisites(of: sorted, filtered: filtered), holds: holds, authors: authors.sorted { $0.replica < $1.replica },
                        signatures: signatures.sorted { ($0.replica, $0.first, $0.last) < ($1.replica, $1.first, $1.last) }, count: sorted.count,
                        receiver: receiver, compartments: filtered ? compartments : nil)
        self.versions = sorted
    }

    private init(header: Header, versions: [Version]) {
        self.header = header
        self.versions = versions
    }

    /// The file's bytes, signed by `key` (the sender's).
    public func encoded(signedBy key: SigningKey) -> Data {
        var writer = BinaryWriter()
        writer.bytes(Self.magic)
        writer.byte(UInt8(header.format))
        let header = Array(WireProtocol.encode(self.header))
        writer.varint(UInt64(header.count))
        writer.bytes(header)
        let blocks = Array(stride(from: 0, to: versions.count, by: Self.blockSize))
        writer.varint(UInt64(blocks.count))
        for start in blocks {
            let block = BinaryWire.encodeBlock(Array(versions[start..<min(start + Self.blockSize, versions.count)]))
            writer.varint(UInt64(block.count))
            writer.bytes(block)
        }
        let hash = Array(SHA256.hash(data: writer.buffer))
        writer.bytes(hash)
        writer.bytes(Array(key.sign(Data(Self.signatureDomain + hash))))
        return writer.data
    }

    /// Reads and checks a bundle file (see the type's description); throws ``BundleError``
    /// with a sentence for anything wrong.
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
        var reader = BinaryReader(bytes[(magic.count + 1)..<bodyEnd])
        let header: Header
        do {
            let json = try reader.bytes(reader.count(minimumBytesEach: 1))
            header = try JSONDecoder().decode(Header.self, from: Data(json))
        } catch {
            throw BundleError.damaged("its header cannot be read (\(error))")
        }
        guard header.format == format else { throw BundleError.damaged("its header says format \(header.format) but the file says \(format)") }
        guard SignatureCheck.verify(signature, of: Data(signatureDomain + hash), publicKey: header.sender.publicKey) else {
            throw BundleError.badSenderSignature(header.sender.replica)
        }
        var versions: [Version] = []
        do {
            for _ in 0..<(try reader.count(minimumBytesEach: 2)) {
                versions += try BinaryWire.decodeBlock(reader.bytes(reader.count(minimumBytesEach: 1)))
            }
            try reader.expectEnd()
        } catch {
            throw BundleError.damaged("its versions cannot be read (\(error))")
        }
        let bundle = VersionBundle(header: header, versions: versions)
        try bundle.checkContents()
        return bundle
    }

    /// Everything in the header agrees with the versions, and every version is signed by its
    /// replica's key as the header lists it.
    private func checkContents() throws {
        guard header.count == versions.count else { throw BundleError.damaged("its header counts \(header.count) versions but it holds \(versions.count)") }
        guard versions.indices.dropFirst().allSatisfy({ versions[$0 - 1].dot < versions[$0].dot }) else {
            throw BundleError.damaged("its versions are not in order, or one appears twice")
        }
        let filtered = header.format >= 2
        guard filtered == (header.receiver != nil) else {
            throw BundleError.damaged(filtered ? "it is a filtered bundle (format 2) that names no receiver" : "it names a receiver but is not a filtered bundle (format 2)")
        }
        let gapless = filtered || versions.indices.dropFirst().allSatisfy { index in
            versions[index - 1].dot.replica != versions[index].dot.replica || versions[index - 1].dot.counter + 1 == versions[index].dot.counter
        }
        guard gapless, header.covers == Self.runs(of: versions) else {
            throw BundleError.damaged("the runs its header lists are not the versions it holds, or a run has a gap")
        }
        guard header.presupposes == Self.prerequisites(of: versions, filtered: filtered) else {
            throw BundleError.damaged("the prerequisites its header lists are not what its versions need")
        }
        var authors: [ReplicaID: Author] = [:]
        for author in header.authors {
            guard authors.updateValue(author, forKey: author.replica) == nil else { throw BundleError.damaged("replica \(author.replica) is listed twice among its authors") }
            guard SignatureCheck.isValidPublicKey(author.publicKey) else { throw BundleError.damaged("the key listed for replica \(author.replica) is malformed") }
        }
        if let listed = authors[header.sender.replica], listed != header.sender {
            throw BundleError.damaged("its sender \(header.sender.replica) is listed among its authors with another key or analyst")
        }
        let claims: RelayClaims
        do {
            claims = try RelayClaims(header.signatures, versions: versions)
        } catch {
            throw BundleError.damaged("\(error)")
        }
        if let keyless = claims.claims.first(where: { authors[$0.range.replica] == nil }) { throw BundleError.noKey(keyless.range.replica) }
        let signed: SignedCoverage
        do {
            signed = try claims.verified(keys: { authors[$0]?.publicKey })
        } catch ExchangeRefusal.badSignature(let range) {
            throw BundleError.badRangeSignature(range)
        }
        for version in versions {
            guard signed.contains(version.dot) else { throw BundleError.unsigned(version.dot) }
            let analyst = authors[version.dot.replica]!.analyst
            guard version.author == analyst else { throw BundleError.wrongAuthor(version.dot, author: version.author, owner: analyst) }
        }
    }

    /// Each replica's consecutive versions as runs, from sorted versions: one run per replica
    /// unless the bundle is filtered (format 2) and leaves gaps.
    static func runs(of sorted: [Version]) -> [Run] {
        var runs: [Run] = []
        for version in sorted {
            if let last = runs.last, last.replica == version.dot.replica, last.last + 1 == version.dot.counter {
                runs[runs.count - 1].last = version.dot.counter
            } else {
                runs.append(Run(replica: version.dot.replica, first: version.dot.counter, last: version.dot.counter))
            }
        }
        return runs
    }

    /// What must be held before `versions`. Unfiltered: each carried replica's counters before
    /// its run, and for replicas not carried the highest counter any version's context names.
    /// Filtered (format 2), where a replica's versions may rightly have gaps (records the
    /// receiver may not read): for every replica, the highest counter a context names that the
    /// bundle does not carry, since a version of a record is written on top of versions of that
    /// record alone, all of which the receiver may read.
    static func prerequisites(of sorted: [Version], filtered: Bool = false) -> VersionVector {
        var needed: [ReplicaID: UInt64] = [:]
        if filtered {
            let carried = Set(sorted.lazy.map(\.dot))
            for version in sorted {
                for entry in version.context.entries where !carried.contains(Dot(replica: entry.replica, counter: entry.counter)) {
                    needed[entry.replica] = max(needed[entry.replica] ?? 0, entry.counter)
                }
            }
            return VersionVector(needed)
        }
        var first: [ReplicaID: UInt64] = [:]
        for version in sorted where first[version.dot.replica] == nil { first[version.dot.replica] = version.dot.counter }
        for (replica, counter) in first where counter > 1 { needed[replica] = counter - 1 }
        for version in sorted {
            for entry in version.context.entries where first[entry.replica] == nil {
                needed[entry.replica] = max(needed[entry.replica] ?? 0, entry.counter)
            }
        }
        return VersionVector(needed)
    }

    /// What the bundle holds, for people: versions per analyst, per record kind, records touched.
    public var summary: (byAnalyst: [String: Int], byKind: [String: Int], records: Int) {
        var byAnalyst: [String: Int] = [:], byKind: [String: Int] = [:]
        var records: Set<RecordID> = []
        for version in versions {
            byAnalyst[version.author, default: 0] += 1
            byKind[version.kind, default: 0] += 1
            records.insert(version.record)
        }
        return (byAnalyst, byKind, records.count)
    }
}

/// Why a bundle cannot be read or applied; nothing was written.
public enum BundleError: Error, Equatable, Sendable, CustomStringConvertible {
    case notABundle
    case newerFormat(Int)
    case hashMismatch
    case damaged(String)
    case badSenderSignature(ReplicaID)
    case badRangeSignature(String)
    case noKey(ReplicaID)
    case unsigned(Dot)
    case wrongAuthor(Dot, author: String, owner: String)
    /// A replica's key differs from the one the reader knows for it.
    case keyChanged(ReplicaID)
    case missingPrerequisites([String])
    /// It carries writes of the reader's own replica that the reader does not hold.
    case forkedOwn(ReplicaID)
    case unreadable(path: String, reason: String)
    /// Sealed to a server's key: only that server opens it.
    case sealed(String)
    case sealedToAnotherKey(addressed: String, own: String)

    public var description: String {
        let nothing = "Nothing was applied."
        switch self {
        case .notABundle:
            return "the file is not a field-sync bundle (it does not start with FSBUNDLE); check the file name. \(nothing)"
        case .newerFormat(let format):
            return "the bundle is in format \(format), newer than this sync-client reads (\(VersionBundle.format)); upgrade sync-client to apply it. \(nothing)"
        case .hashMismatch:
            return "the bundle is damaged: its SHA-256 does not match its contents (truncated or altered on the way); ask the sender for a new copy. \(nothing)"
        case .damaged(let detail):
            return "the bundle is damaged: \(detail); ask the sender for a new copy. \(nothing)"
        case .badSenderSignature(let replica):
            return "the bundle's signature does not verify with the key of replica \(replica) it names as its sender: it was altered or forged. \(nothing)"
        case .badRangeSignature(let range):
            return "the signature over versions \(range) does not verify with their replica's key: they were altered or signed by another replica. \(nothing)"
        case .noKey(let replica):
            return "the bundle carries a signature of replica \(replica) but not that replica's key, so it cannot be checked. \(nothing)"
        case .unsigned(let dot):
            return "version \(dot) in the bundle is not covered by a signature of its replica; every version must be signed by its author. \(nothing)"
        case .wrongAuthor(let dot, let author, let owner):
            return "version \(dot) is written under '\(author)' but its replica belongs to '\(owner)': forged. \(nothing)"
        case .keyChanged(let replica):
            return "the bundle carries replica \(replica) with a signing key other than the one known here for it: it is forged, or that replica's file was replaced. \(nothing)"
        case .missingPrerequisites(let missing):
            return "this replica lacks versions the bundle builds on: \(missing.joined(separator: ", ")). Sync, or apply the bundle that carries them, first. \(nothing)"
        case .sealed(let fingerprint):
            return "the bundle is encrypted to the sync server's key (fingerprint \(fingerprint)): only the server can open it. Take it to the server and run `sync-server bundle apply FILE` there. \(nothing)"
        case .sealedToAnotherKey(let addressed, let own):
            return "the bundle is encrypted to another server's key (fingerprint \(addressed); this server's is \(own)): apply it on the server it was made for. \(nothing)"
        case .unreadable(let path, let reason):
            return "cannot read the bundle \(path): \(reason). \(nothing)"
        case .forkedOwn(let replica):
            return "the bundle carries writes of this replica (\(replica)) that this file does not hold: a copy of this replica file made them. Run `sync-client rekey` on one of the copies. \(nothing)"
        }
    }
}
