import Foundation
import GRDB
public import LocalStore
package import PostgresStore
public import SyncProtocol
public import TestSupport
import ThrowawayPostgres

// The real stores' whole state, for tests (see ``InspectableStorage``).
extension SQLiteServerStore: InspectableStorage {
    public var keepsCompartments: Bool { true }
}

extension PostgresServerStore: InspectableStorage {
    public var keepsCompartments: Bool { true }
}

extension PostgresServerStore {
    /// How long an in-process test's store waits for one operation. The production deadline
    /// (30 s) guards a pool stall; in the test process about a hundred suites share two
    /// cooperative threads, and an exchange's every hop can queue behind other tests'
    /// synchronous work, so a correct exchange on a loaded machine may take longer than that.
    /// The stall itself is tested on a store of its own with the production deadline.
    package static let inTestDeadline = 300

    /// A store on the database at `url` for an in-process test (see ``inTestDeadline``).
    package static func inTest(_ url: String, pauses: CommitPauses = CommitPauses()) async throws -> PostgresServerStore {
        try await connect(try PostgresLocation(url: url), pauses: pauses, deadline: inTestDeadline)
    }
}

/// The server storages the server-facing tests run against: each such test runs on both.
public enum StoreKind: String, CaseIterable, Sendable {
    case sqlite, postgres

    /// A fresh, empty store of this kind, holding `analysts` (each with the token hash
    /// `hash-of-NAME`).
    public func server(analysts: [String] = []) async throws -> TestServer {
        let server: TestServer
        switch self {
        case .sqlite:
            server = TestServer(sqlite: try SQLiteServerStore.inMemory())
        case .postgres:
            server = try await TestServer(postgres: try await PostgresCluster.shared().makeDatabase())
        }
        for name in analysts { try await server.storage.addAnalyst(name: name, tokenHash: "hash-of-\(name)", at: 0) }
        return server
    }
}

/// One test's server storage, with what tests need beyond the storage protocol: closing it,
/// and a backup taken as its operator would take one (SQLite's backup API, `pg_dump`).
public final class TestServer: Sendable {
    public let storage: any InspectableStorage
    private let closeStore: @Sendable () -> Void
    private let takeBackup: @Sendable () async throws -> ServerBackup

    init(sqlite store: SQLiteServerStore) {
        storage = store
        closeStore = { try? store.close() }
        takeBackup = {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("field-sync-backup-\(UUID().uuidString).sqlite").path
            let copy = try DatabaseQueue(path: path)
            try store.writer.backup(to: copy)
            try copy.close()
            return ServerBackup(file: path) { TestServer(sqlite: try SQLiteServerStore.open(path: path)) }
        }
    }

    init(postgres url: String) async throws {
        let store = try await PostgresServerStore.inTest(url)
        storage = store
        closeStore = { store.close() }
        takeBackup = {
            let cluster = try await PostgresCluster.shared()
            let path = try await cluster.backup(url: url)
            return ServerBackup(file: path) { try await TestServer(postgres: try await cluster.restore(path)) }
        }
    }

    /// Closes the store; it is unusable afterwards.
    public func close() { closeStore() }

    /// A backup of everything stored so far.
    public func backup() async throws -> ServerBackup { try await takeBackup() }

    /// A transport handing requests straight to this store through the server's policy.
    public func transport(analyst: String, pageLimit: Int = SyncSession.defaultPageSize) -> any SyncTransport {
        func transport(_ store: some ServerStorage) -> any SyncTransport {
            InProcessTransport(store: store, analyst: analyst, pageLimit: pageLimit)
        }
        return transport(storage)
    }

    /// A new replica of `analyst` after its first sync with this store: it holds every version
    /// stored, merged as every replica merges them.
    public func pulledByANewReplica(of analyst: String) async throws -> Replica {
        let replica = try Replica.inMemory(analyst: analyst)
        var driver = SyncDriver(replica: replica)
        try await driver.run(over: transport(analyst: analyst))
        return replica
    }
}

/// A server's backup, restored into a new store of the same kind.
public final class ServerBackup: Sendable {
    private let file: String
    private let restoring: @Sendable () async throws -> TestServer

    init(file: String, restoring: @escaping @Sendable () async throws -> TestServer) {
        self.file = file
        self.restoring = restoring
    }

    /// A new store holding what the backup holds.
    public func restore() async throws -> TestServer { try await restoring() }

    deinit { try? FileManager.default.removeItem(atPath: file) }
}
