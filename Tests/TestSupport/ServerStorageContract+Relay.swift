import Foundation
import SyncModel
import SyncProtocol

/// The contract's parts about signing keys and versions carried for their authors.
extension ServerStorageContract {
    static let aliceKey = SigningKey(rawRepresentation: Data(repeating: 0xA1, count: 32))!
    static let bobKey = SigningKey(rawRepresentation: Data(repeating: 0xB0, count: 32))!
    static let carolsLaptop = ReplicaID("cccccccc-cccc-4ccc-8ccc-cccccccccccc")!

    func runRelay<Store: InspectableStorage>(_ server: Store, _ findings: inout Findings) async throws {
        let alice = Self.alicesLaptop
        func everything() async throws -> [Version] {
            try await server.exchange(analyst: "alice", clientVector: VersionVector(), versions: [], pageLimit: 1_000, at: 9).versions
        }
        /// Alice's laptop syncs once with its key and two writes, then writes 3...5 offline.
        func aliceSyncsOnce() async throws -> [Version] {
            _ = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                          versions: [Self.version(alice, 1, author: "alice"), Self.version(alice, 2, author: "alice")],
                                          publicKey: Self.aliceKey.publicKey, pageLimit: 10, at: 1)
            return (3...5).map { Self.version(alice, $0, author: "alice") }
        }
        func bobCarries(_ versions: [Version], _ signatures: [SignedRange]) async throws {
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), versions: versions,
                                          signatures: signatures, publicKey: Self.bobKey.publicKey, pageLimit: 10, at: 2)
        }
        switch self {
        case .bindsTheRequestersKeyAndRefusesAnother:
            _ = try await aliceSyncsOnce()
            findings.expect(try await server.replicaBindings()[alice] == ReplicaBinding(analyst: "alice", publicKey: Self.aliceKey.publicKey))
            let before = try await server.canonicalDump()
            await findings.expectThrows(ExchangeRefusal.keyMismatch(replica: alice)) {
                _ = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                              versions: [Self.version(alice, 3, author: "alice")], publicKey: Self.bobKey.publicKey, pageLimit: 10, at: 3)
            }
            findings.expect(try await server.canonicalDump() == before, "a refused key changed nothing")
            // A request without a key (an older client) leaves the binding as it is.
            _ = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                          versions: [Self.version(alice, 3, author: "alice")], pageLimit: 10, at: 4)
            findings.expect(try await server.replicaBindings()[alice]?.publicKey == Self.aliceKey.publicKey)
            // A replica bound before keys existed gets its key at its next request.
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), versions: [], pageLimit: 10, at: 5)
            findings.expect(try await server.replicaBindings()[Self.bobsLaptop]?.publicKey == nil)
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), versions: [],
                                          publicKey: Self.bobKey.publicKey, pageLimit: 10, at: 6)
            findings.expect(try await server.replicaBindings()[Self.bobsLaptop]?.publicKey == Self.bobKey.publicKey)
        case .takesAnotherAnalystsVersionsOnlyUnderTheirReplicasSignature:
            let offline = try await aliceSyncsOnce()
            let before = try await server.canonicalDump()
            var altered = offline
            altered[1].value = .text("altered on the way")
            await findings.expectThrows(ExchangeRefusal.badSignature(range: "\(alice):3-5")) {
                try await bobCarries(altered, Self.aliceKey.signRanges(offline))
            }
            await findings.expectThrows(ExchangeRefusal.badSignature(range: "\(alice):3-5")) {
                try await bobCarries(offline, Self.bobKey.signRanges(offline))
            }
            await findings.expectThrows(ExchangeRefusal.replicaOwnedByOther(replica: alice, owner: "alice")) {
                try await bobCarries(offline.map { var version = $0; version.author = "bob"; return version }, [])
            }
            await findings.expectThrows(ExchangeRefusal.unsigned(dot: Dot(replica: alice, counter: 5))) {
                try await bobCarries(offline, Self.aliceKey.signRanges(offline.prefix(2)))
            }
            await findings.expectThrows(RelayError.incomplete(range: "\(alice):3-5", missing: Dot(replica: alice, counter: 4))) {
                try await bobCarries([offline[0], offline[2]], Self.aliceKey.signRanges(offline))
            }
            let carol = Self.version(Self.carolsLaptop, 1, author: "carol")
            await findings.expectThrows(ExchangeRefusal.unknownKey(replica: Self.carolsLaptop)) {
                try await bobCarries([carol], Self.bobKey.signRanges([carol]))
            }
            findings.expect(try await server.canonicalDump() == before, "refused carried versions changed nothing")
            try await bobCarries(offline, Self.aliceKey.signRanges(offline))
            findings.expect(try await everything().filter { $0.dot.replica == alice }.map(\.dot.counter) == [1, 2, 3, 4, 5])
            findings.expect(try await server.owners()[alice] == "alice", "carrying does not rebind the author's replica")
        case .storesABundleCarriedWithNoTokenOnlyIfEverySignatureHolds:
            let offline = try await aliceSyncsOnce()
            let before = try await server.canonicalDump()
            await findings.expectThrows(ExchangeRefusal.unsigned(dot: Dot(replica: alice, counter: 3))) {
                _ = try await server.storeCarried(offline, signatures: [], at: 3)
            }
            let stranger = Self.version(Self.carolsLaptop, 1, author: "carol")
            await findings.expectThrows(ExchangeRefusal.unknownKey(replica: Self.carolsLaptop)) {
                _ = try await server.storeCarried(offline + [stranger], signatures: Self.aliceKey.signRanges(offline) + Self.bobKey.signRanges([stranger]), at: 3)
            }
            findings.expect(try await server.canonicalDump() == before, "a refused bundle changed nothing")
            let stored = try await server.storeCarried(offline, signatures: Self.aliceKey.signRanges(offline), at: 3)
            findings.expect(stored.report.new == 3 && stored.vector == VersionVector([alice: 5]))
            let again = try await server.storeCarried(offline, signatures: Self.aliceKey.signRanges(offline), at: 4)
            findings.expect(again.report.new == 0 && again.report.duplicates == 3, "a bundle taken twice stores nothing new")
        default:
            findings.expect(false, "\(self) is not a part about carried versions")
        }
    }
}
