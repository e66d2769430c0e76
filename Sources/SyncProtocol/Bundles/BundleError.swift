public import SyncModel

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
