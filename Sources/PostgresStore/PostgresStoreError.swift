package import SyncProtocol

/// What went wrong with a PostgreSQL server store; each says what to do.
package enum PostgresStoreError: StorageError, Equatable, Sendable {
    case badURL(String)
    /// The database cannot be reached or failed a query; the request may succeed later.
    case unavailable(String)
    /// The database holds steps of a newer field-sync, or tables of another program.
    case foreign(String)
    /// The database holds something this store could not have written.
    case damaged(String)

    package var code: ServerErrorCode? {
        switch self {
        case .unavailable, .damaged: return .storeUnavailable
        case .badURL, .foreign: return nil
        }
    }

    package var description: String {
        switch self {
        case .badURL(let reason): return "cannot use that database URL: \(reason)"
        case .unavailable(let reason): return "the PostgreSQL database is unavailable (\(reason)); nothing was changed. Try again when it is back."
        case .foreign(let reason): return reason
        case .damaged(let what): return "the PostgreSQL database holds something field-sync could not have written (\(what)); restore it from a backup"
        }
    }
}
