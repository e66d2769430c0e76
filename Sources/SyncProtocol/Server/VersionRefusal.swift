public import SyncModel

/// Why a storage refuses pushed versions, the same sentence from every storage.
public enum VersionRefusal: StorageError, Equatable, Sendable {
    case invalid(ModelError)
    case counterGap(replica: ReplicaID, have: UInt64, got: UInt64)
    case dotReused(Dot)
    case kindMismatch(record: RecordID, known: String, got: String)

    public var code: ServerErrorCode? {
        switch self {
        case .invalid: return .invalidVersion
        case .counterGap: return .counterGap
        case .dotReused: return .dotReused
        case .kindMismatch: return .kindMismatch
        }
    }

    public var description: String {
        switch self {
        case .invalid(let error):
            return error.description
        case .counterGap(let replica, let have, let got):
            return "counter gap for replica \(replica): have versions up to \(have), received \(got); versions must arrive in counter order without gaps. Sync again to send the missing versions first."
        case .dotReused(let dot):
            return "version \(dot.replica):\(dot.counter) was already received with different content: this replica was restored from an old backup or copied to another machine. Run `sync-client rekey` on that replica to move its unsynced writes to a fresh replica id, then sync again."
        case .kindMismatch(let record, let known, let got):
            return "record \(record) is a \(known), but a version calls it a \(got)"
        }
    }
}
