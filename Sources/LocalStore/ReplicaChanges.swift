import GRDB

/// Tells a watching process that some other connection committed to a replica file: another
/// command (`cell set` in a second terminal), the web dashboard, or this process's own writes.
///
/// It keeps one connection of its own and asks SQLite's `PRAGMA data_version`, which changes
/// exactly when another connection has committed since the last time this one asked: one
/// statement that reads no page, cheap enough to ask a few times a second.
public struct ReplicaChanges: Sendable {
    private let queue: DatabaseQueue
    private let path: String

    /// A watch on the replica file at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(DatabaseFile.busySeconds)
        self.path = path
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: DatabaseFile.reason(error))
        }
    }

    /// A number that differs from the last one this watch gave when another connection has
    /// committed to the file in between.
    public func version() throws -> Int64 {
        do {
            return try queue.inDatabase { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: DatabaseFile.reason(error))
        }
    }
}
