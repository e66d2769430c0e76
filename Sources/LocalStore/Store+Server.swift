package import GRDB
package import SyncProtocol

/// The version engine as a server's storage and a sync use it (see `SQLiteServerStore`): a store of the
/// server role, and pushed versions stored inside the caller's transaction.
extension Store {
    /// Opens the server database at `path`; makes a new one there only when `create` is true.
    package static func openServer(path: String, create: Bool) throws -> Store {
        try open(path: path, role: .server, create: create)
    }

    /// A fresh server store in memory, for tests and benchmarks.
    package static func inMemoryServer() throws -> Store {
        try inMemory(role: .server)
    }

    /// Stores checked versions in the open write transaction `db`, merging fields and appending
    /// each new version to the feed (on a server). `deferFields` as in
    /// ``Replica/receive(_:serverVector:cursor:deferFields:)``.
    package func integrate(_ versions: PreparedVersions, _ db: Database, deferFields: Bool = false) throws -> ApplyReport {
        var batch = try ApplyBatch.begin(self, db, deferFields: deferFields)
        try batch.preload(versions.entries.lazy.map(\.version))
        try batch.integrate(versions)
        return try batch.finish()
    }
}
