public import SyncModel
public import SyncProtocol

/// What went wrong in a store, other than a refused version (``VersionRefusal``, the same from
/// every store); each description says what to do about it.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAStore(path: String)
    case wrongRole(path: String, found: String, expected: String)
    case newerSchema(path: String, unknown: [String])
    case cannotOpen(path: String, reason: String)
    case notInitialized(path: String)
    case alreadyInitialized(path: String)
    case writeFailed(reason: String)
    /// The database holds something it could not have written: a damaged file.
    case damaged(String)
    case readOnly(path: String)
    case unfinishedFirstSync(path: String)
    case unfoldedWrites(path: String)
    case recordNotFound(String)
    case ambiguous(String, candidates: [String])
    case recordDeleted(RecordID)
    case conflictNotFound(String)
    case idTooShort(String)
    /// The analyst is cleared only to read a compartment the write touches.
    case notClearedToWrite(record: RecordID, compartment: String)
    /// A bundle carries records of compartments the analyst is not cleared to read.
    case bundleNotCleared(records: [RecordID], compartments: [String])
    /// A bundle carries records outside the default compartment, and the server has not yet
    /// told this replica its clearances.
    case clearancesUnknown

    public var description: String {
        switch self {
        case .bundleNotCleared(let records, let compartments):
            let shown = records.prefix(5).map(\.short).joined(separator: ", ") + (records.count > 5 ? ", …" : "")
            let named = compartments.map { "'\($0)'" }.joined(separator: ", ")
            return "the bundle carries \(records.count) record\(records.count == 1 ? "" : "s") (\(shown)) of compartment\(compartments.count == 1 ? "" : "s") \(named), which this replica's analyst is not cleared to read; nothing was applied. Ask the sender to sync and make it again with `sync-client bundle create --for YOUR-NAME`, or sync over the network: the server sends what you are cleared for"
        case .clearancesUnknown:
            return "the bundle carries records outside the default compartment, and this replica does not know yet what its analyst is cleared for (the server tells it at a sync); nothing was applied. Sync once, then apply the bundle again"
        case .notClearedToWrite(let record, let compartment):
            return "record \(record.short) is in compartment '\(compartment)', which you are cleared only to read; nothing was written. Ask the server's admin for `sync-server clearance grant NAME \(compartment) --write`"
        case .notAStore(let path):
            return "\(path) is not a field-sync database (it is not SQLite, or belongs to another program); it was left untouched. Pass a different path."
        case .wrongRole(let path, let found, let expected):
            return "\(path) is a \(found) database, not a \(expected) one; pass the right file."
        case .newerSchema(let path, let unknown):
            return "\(path) was written by a newer version of field-sync (schema steps \(unknown.joined(separator: ", ")) are unknown here); it was left untouched. Upgrade this tool to open it."
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason)"
        case .notInitialized(let path):
            return "no replica at \(path); create one with `sync-client init --server URL --token TOKEN` (or pass --replica PATH)"
        case .alreadyInitialized(let path):
            return "a replica already exists at \(path); nothing was changed. Use another --replica path to create a second one."
        case .damaged(let what):
            return "the database is damaged (\(what)); nothing was changed. Check it with `sqlite3 FILE 'PRAGMA integrity_check'`, and restore it from a backup or sync a fresh replica"
        case .writeFailed(let reason):
            return "the write was not saved, and nothing was changed: \(reason)"
        case .readOnly(let path):
            return "\(path) is read-only, so nothing was written (reading still works). Make it writable (chmod u+w, or remount the disk read-write) and run the command again."
        case .unfinishedFirstSync(let path):
            return "\(path) holds a first sync that stopped before its end, and is read-only, so its cells cannot be completed from the versions it holds (nothing was changed). Make it writable (chmod u+w) and run the command again."
        case .unfoldedWrites(let path):
            return "\(path) holds recent local writes not yet folded into its cells, and is read-only, so they cannot be shown (nothing was changed). Make it writable (chmod u+w) and run the command again."
        case .recordNotFound(let what):
            return "no \(what) in this replica; list them with `sync-client cell list` or `sync-client signal list`"
        case .ambiguous(let what, let candidates):
            return "\(what) matches several records (\(candidates.joined(separator: ", "))); use the record id instead"
        case .recordDeleted(let id):
            return "record \(id) is deleted; it can no longer be edited"
        case .idTooShort(let id):
            return "'\(id)' is too short to name a conflict: give at least 4 characters of its id (see `sync-client conflicts`)"
        case .conflictNotFound(let id):
            return "no open conflict '\(id)'; list open conflicts with `sync-client conflicts`"
        }
    }
}

extension StoreError: StorageError {
    /// How a server answers this error.
    public var code: ServerErrorCode? {
        switch self {
        case .writeFailed, .readOnly, .damaged: return .storeUnavailable
        default: return nil
        }
    }
}
