import Foundation
import LocalStore
import StoreKinds
import SyncModel
import SyncProtocol
import Testing

/// Bundles encrypted to the server's key: only that server opens them, and nothing in the file
/// reads without the key.
@Suite struct SealedBundleTests {
    static func sealedBundle(to key: BundleKey) throws -> (plain: Data, sealed: Data, replica: Replica) {
        let alice = try Replica.inMemory(analyst: "alice")
        try BundleTests.write(alice, 1, "Secret assessment of the northern flank")
        let plain = try alice.makeBundle(beyond: nil, at: 1).data
        return (plain, try SealedBundle.seal(plain, to: try #require(key.publicKey)), alice)
    }

    @Test func onlyTheServersKeyOpensASealedBundle() throws {
        let server = BundleKey.generate(), other = BundleKey.generate()
        let (plain, sealed, _) = try Self.sealedBundle(to: server)
        #expect(sealed.range(of: Data("northern flank".utf8)) == nil, "the title is not readable in the file")
        #expect(try SealedBundle.open(sealed, privateKey: server.privateKey) == plain)
        #expect(try SealedBundle.recipient(of: sealed) == SealedBundle.fingerprint(try #require(server.publicKey)))
        #expect {
            _ = try SealedBundle.open(sealed, privateKey: other.privateKey)
        } throws: { error in
            guard case BundleError.sealedToAnotherKey(let addressed, let own) = error else { return false }
            return addressed == SealedBundle.fingerprint(server.publicKey!) && own == SealedBundle.fingerprint(other.publicKey!)
        }
    }

    @Test(arguments: ["flipped", "truncated", "header"])
    func anAlteredSealedBundleIsRefused(_ damage: String) throws {
        let server = BundleKey.generate()
        var bytes = [UInt8](try Self.sealedBundle(to: server).sealed)
        switch damage {
        case "flipped": bytes[bytes.count - 20] ^= 0x01
        case "truncated": bytes.removeLast(30)
        default: bytes[20] ^= 0x40  // inside the encapsulated key, which the ciphertext authenticates
        }
        #expect {
            _ = try SealedBundle.open(Data(bytes), privateKey: server.privateKey)
        } throws: { error in
            guard case BundleError.damaged = error else { return false }
            return "\(error)".hasSuffix("Nothing was applied.")
        }
    }

    @Test func aReplicaCannotApplyASealedBundleAndIsToldWhoCan() throws {
        let server = BundleKey.generate()
        let (_, sealed, _) = try Self.sealedBundle(to: server)
        let bob = try Replica.inMemory(analyst: "bob")
        let before = try bob.stateDump()
        #expect {
            _ = try bob.apply(VersionBundle.read(sealed))
        } throws: { error in
            guard case BundleError.sealed = error else { return false }
            return "\(error)".contains("sync-server bundle apply")
        }
        #expect(try bob.stateDump() == before)
    }

    @Test(arguments: StoreKind.allCases)
    func theServerKeepsOneKeyAndOpensWhatWasSealedToIt(kind: StoreKind) async throws {
        let server = try await kind.server(analysts: ["alice"])
        defer { server.close() }
        let key = try await server.storage.bundleKey()
        #expect(try await server.storage.bundleKey().privateKey == key.privateKey, "the key is made once and kept")
        let (_, sealed, alice) = try Self.sealedBundle(to: key)
        var driver = SyncDriver(replica: alice)
        try await driver.run(over: server.transport(analyst: "alice"))
        let opened = try VersionBundle.read(SealedBundle.open(sealed, privateKey: key.privateKey))
        let stored = try await server.storage.storeCarried(opened.versions, signatures: opened.header.signatures, at: 2)
        #expect(stored.report.duplicates == opened.versions.count, "alice's sync already brought them")
    }
}
