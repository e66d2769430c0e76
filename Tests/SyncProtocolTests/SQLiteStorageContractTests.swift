import LocalStore
import SyncProtocol
import Testing
import TestSupport

/// The SQLite server storage meets the contract every storage meets.
@Suite struct SQLiteStorageContractTests {
    @Test(arguments: ServerStorageContract.allCases)
    func theStorageContractHolds(_ part: ServerStorageContract) async throws {
        try await part.check { try SQLiteServerStore.inMemory() }
    }
}
