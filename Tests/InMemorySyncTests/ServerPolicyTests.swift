import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// The server's policy (who may push what, which page answers) over an in-memory storage: the
/// same rules any storage gets.
@Suite struct ServerPolicyTests {
    static let alicesLaptop = ReplicaID("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")!
    static let bobsLaptop = ReplicaID("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")!
    static let record = RecordID("11111111-1111-4111-8111-111111111111")!

    static func version(_ replica: ReplicaID, _ counter: UInt64, author: String) -> Version {
        Version(dot: Dot(replica: replica, counter: counter), context: VersionVector(), record: record, kind: "cell", field: "title",
                value: .text("\(author) \(counter)"), author: author, time: 0)
    }

    /// A server holding alice's two versions, her laptop bound to her.
    static func server() async throws -> MemoryServerStorage {
        let server = MemoryServerStorage()
        _ = try await server.exchange(analyst: "alice", requester: alicesLaptop, clientVector: VersionVector(),
                                      versions: [version(alicesLaptop, 1, author: "alice"), version(alicesLaptop, 2, author: "alice")], pageLimit: 10, at: 1)
        return server
    }

    @Test func pushingToAnotherAnalystsReplicaIsRefusedAndNothingIsStored() async throws {
        let server = try await Self.server()
        await #expect(throws: ExchangeRefusal.replicaOwnedByOther(replica: Self.alicesLaptop, owner: "alice")) {
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.bobsLaptop, 1, author: "bob"), Self.version(Self.alicesLaptop, 3, author: "bob")],
                                          pageLimit: 10, at: 2)
        }
        #expect(server.versions.count == 2 && server.owners() == [Self.alicesLaptop: "alice"], "the refused exchange bound and stored nothing")
    }

    @Test func aVersionSignedByAnotherAnalystIsRefused() async throws {
        let server = try await Self.server()
        await #expect(throws: ExchangeRefusal.authorMismatch(dot: Dot(replica: Self.bobsLaptop, counter: 1), author: "alice", analyst: "bob")) {
            _ = try await server.exchange(analyst: "bob", clientVector: VersionVector(), versions: [Self.version(Self.bobsLaptop, 1, author: "alice")],
                                          pageLimit: 10, at: 2)
        }
    }

    @Test func aRequestFromAnotherAnalystsReplicaIsRefusedEvenWithoutVersions() async throws {
        let server = try await Self.server()
        await #expect(throws: ExchangeRefusal.replicaOwnedByOther(replica: Self.alicesLaptop, owner: "alice")) {
            _ = try await server.exchange(analyst: "bob", requester: Self.alicesLaptop, clientVector: VersionVector(), versions: [], pageLimit: 10, at: 2)
        }
    }

    @Test func aCursorFromAnotherFeedGetsAnEmptyPageAndNoCursor() async throws {
        let server = try await Self.server()
        let foreign = FeedCursor.start.advanced(by: Dot(replica: Self.bobsLaptop, counter: 1))
        let answer = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: foreign,
                                               versions: [], pageLimit: 10, at: 2)
        #expect(answer.versions.isEmpty && answer.more && answer.cursor == nil)
        let honoured = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: .start,
                                                 versions: [], pageLimit: 10, at: 2)
        #expect(honoured.versions.count == 2 && !honoured.more && honoured.cursor?.seq == 2)
    }

    @Test func aVectorModePullCarriesTheFeedHeadOnlyOnItsLastPage() async throws {
        let server = try await Self.server()
        let first = try await server.exchange(analyst: "bob", clientVector: VersionVector(), versions: [], pageLimit: 1, at: 2)
        #expect(first.versions.count == 1 && first.more && first.cursor == nil)
        let last = try await server.exchange(analyst: "bob", clientVector: VersionVector([Self.alicesLaptop: 1]), versions: [], pageLimit: 1, at: 2)
        #expect(last.versions.count == 1 && !last.more && last.cursor?.seq == 2)
        #expect(last.vector == VersionVector([Self.alicesLaptop: 2]), "the counters of the replicas the request named")
    }

    @Test func theAnswersPageIsTheRequestsLimitWithinTheServersBounds() async throws {
        let server = try await Self.server()
        let request = SyncRequest(replica: Self.bobsLaptop, vector: VersionVector(), cursor: .start, versions: [], pageLimit: 50)
        let capped = try await server.answer(request, analyst: "bob", defaultPageSize: 1, maxPageSize: 1, at: 2)
        #expect(capped.response.versions.count == 1 && capped.response.more)
        var unnamed = request
        unnamed.pageLimit = nil
        let byDefault = try await server.answer(unnamed, analyst: "bob", defaultPageSize: 2, maxPageSize: 5, at: 2)
        #expect(byDefault.response.versions.count == 2 && !byDefault.response.more)
    }
}
