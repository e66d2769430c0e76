import PostgresStore
import StoreKinds
import SyncProtocol
import Testing
import TestSupport
import ThrowawayPostgres

/// The PostgreSQL server storage meets the contract every storage meets, on a throwaway cluster.
@Suite struct PostgresStorageContractTests {
    @Test(arguments: ServerStorageContract.allCases)
    func theStorageContractHolds(_ part: ServerStorageContract) async throws {
        let url = try await PostgresCluster.shared().makeDatabase()
        var opened: PostgresServerStore?
        defer { opened?.close() }
        try await part.check {
            let store = try await PostgresServerStore.inTest(url)
            opened = store
            return store
        }
    }
}
