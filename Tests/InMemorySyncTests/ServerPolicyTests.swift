import SyncProtocol
import Testing
import TestSupport

/// The server's policy over the in-memory storage: the contract every storage meets.
@Suite struct ServerPolicyTests {
    @Test(arguments: ServerStorageContract.allCases)
    func theStorageContractHolds(_ part: ServerStorageContract) async throws {
        try await part.check { MemoryServerStorage() }
    }
}
