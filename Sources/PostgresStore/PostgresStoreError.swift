package import SyncProtocol

/// What went wrong with a PostgreSQL server store; each says what to do.
package enum PostgresStoreError: StorageError, Equatable, Sendable {
    case badURL(String)
    /// The database cannot be reached or failed a query; the request may succeed later.
    case unavailable(String)
    /// PostgreSQL refused for good (unknown role or database, wrong password, no permission):
    /// no retry helps until the URL or the role's rights are fixed.
    case refused(String)
    /// The database holds steps of a newer field-sync, or tables of another program.
    case foreign(String)
    /// The database holds something this store could not have written.
    case damaged(String)
    /// A concurrent change made the request's work out of date; it changed nothing and is
    /// served if sent again (clients do so on their own, as after 503).
    case concurrentChange(String)

    package var code: ServerErrorCode? {
        switch self {
        case .unavailable, .refused, .damaged, .concurrentChange: return .storeUnavailable
        case .badURL, .foreign: return nil
        }
    }

    package var description: String {
        switch self {
        case .badURL(let reason): return "cannot use that database URL: \(reason)"
        case .unavailable(let reason): return "the PostgreSQL database is unavailable (\(reason)); nothing was changed. Try again when it is back."
        case .refused(let answer): return "PostgreSQL refused: \(answer); nothing was changed. Check the user, password and database in the URL, and the role's rights"
        case .foreign(let reason): return reason
        case .concurrentChange(let what): return "\(what); nothing was changed. Send the request again (clients retry on their own)."
        case .damaged(let what): return "the PostgreSQL database holds something field-sync could not have written (\(what)); restore it from a backup"
        }
    }
}
