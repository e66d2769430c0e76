import LocalStore
import PostgresStore
import SyncProtocol
import TestSupport
import ThrowawayPostgres

/// The server storages the server-facing tests run against: each test runs on both.
enum StoreKind: String, CaseIterable, Sendable {
    case sqlite, postgres

    /// A fresh, empty store of this kind, and how to close it.
    func make() async throws -> (storage: any ServerStorage, close: @Sendable () -> Void) {
        switch self {
        case .sqlite:
            return (try SQLiteServerStore.inMemory(), {})
        case .postgres:
            let store = try await PostgresServerStore.connect(try PostgresLocation(url: try await PostgresCluster.shared().makeDatabase()))
            return (store, { store.close() })
        }
    }
}
