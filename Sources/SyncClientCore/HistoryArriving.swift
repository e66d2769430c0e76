package import LocalStore

/// What commands that read history say on a replica that joined shallow while its history is
/// still arriving (see ``Replica/requestShallowJoin()``).
package enum HistoryArriving {
    /// The sentence, printed before what such a command shows.
    package static let sentence = "Note: history is still arriving (this replica joined shallow), so older versions are missing from what follows; `sync-client sync --history` brings the rest."

    /// The sentence when `store`'s history is still arriving, else nil.
    package static func note(_ store: Store) throws -> String? {
        try store.historyIsArriving() ? sentence : nil
    }
}
