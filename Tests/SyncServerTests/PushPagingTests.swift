import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStore
import SyncModel
import SyncHTTP
import SyncProtocol
import StoreKinds
import SyncServerCore
import Testing
import AsyncHTTPClient

/// Pushes are bounded by size, so a backlog of large edits reaches a server whose request limit
/// one count-bounded page would exceed; over real HTTP on 127.0.0.1.
@Suite struct PushPagingTests {
    @Test func theSyncBudgetStaysWellUnderTheServersDefaultBodyLimit() {
        #expect(PageBudget.syncBytes * 4 <= ServerLimits().maxBodyBytes)
    }

    /// A client's default page is one a server with default limits takes and sends whole.
    @Test func theClientsDefaultPageFitsTheServersDefaultLimits() {
        let limits = ServerLimits()
        #expect(SyncSession.pageSizes.contains(SyncSession.defaultPageSize))
        #expect(SyncSession.pageSizes.upperBound <= min(limits.maxVersionsPerRequest, limits.maxPageSize))
    }

    /// A server limited to 64 KiB per request, on 127.0.0.1, for the duration of `body`.
    static func withSmallServer(_ kind: StoreKind, _ body: @Sendable (TestServer, HTTPTransport) async throws -> Void) async throws {
        let server = try await kind.server()
        let store = server.storage
        let token = TokenHasher.makeToken(analyst: "alice")
        try await store.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 1)
        var limits = ServerLimits()
        limits.maxBodyBytes = 64 << 10
        let app = try buildApplication(store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, limits: limits))
        let client = try HTTPTransport.makeClient()
        do {
            try await app.test(.live) { testClient in
                let port = try #require(testClient.port)
                try await body(server, HTTPTransport(client: client, server: "http://127.0.0.1:\(port)", token: token))
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// 24 edits of 4,000 characters: about 100 KB, over the 64 KiB limit in one request.
    static func backlog() throws -> Replica {
        let replica = try Replica.inMemory(analyst: "alice")
        for index in 0..<24 {
            let text = String(repeating: "section \(index) ", count: 4_000 / 12)
            try replica.write([FieldChange(record: .random(), kind: "cell", field: "title", value: .text(text))], at: Int64(index))
        }
        return replica
    }

    @Test(arguments: StoreKind.allCases) func aBacklogOverTheBodyLimitTravelsInPagesUnderTheBudget(kind: StoreKind) async throws {
        let replica = try Self.backlog()
        try await Self.withSmallServer(kind) { server, transport in
            var session = SyncDriver(replica: replica)
            session.pushBudget = PageBudget(maxBytes: 16 << 10)
            try await session.run(over: transport)
            #expect(try await server.pulledByANewReplica(of: "alice").store.versionVector().total == 24)
            // Three or four edits per 16 KiB page, plus the opening pull; none refused.
            #expect(session.stats.sent == 24 && session.stats.requests >= 7, "\(session.stats)")
            #expect(session.pushPageSize == SyncSession.defaultPageSize)
        }
        #expect(try replica.pending().isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func aPushRefusedForItsSizeIsSentAgainInHalves(kind: StoreKind) async throws {
        let replica = try Self.backlog()
        try await Self.withSmallServer(kind) { server, transport in
            // Bounded by count alone, the whole backlog goes in one request, which the server
            // refuses (413); the session halves it until a page fits.
            var session = SyncDriver(replica: replica)
            session.pushBudget = .unbounded
            try await session.run(over: transport)
            #expect(try await server.pulledByANewReplica(of: "alice").store.versionVector().total == 24)
            #expect(session.stats.sent == 24, "\(session.stats)")
            #expect(session.pushPageSize == 12, "24 refused, 12 accepted")
        }
        #expect(try replica.pending().isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func aSingleVersionOverTheLimitIsRefusedWithWhatToDoAndStaysQueued(kind: StoreKind) async throws {
        let replica = try Replica.inMemory(analyst: "alice")
        try replica.write([FieldChange(record: .random(), kind: "cell", field: "assessment", value: .text(String(repeating: "long prose ", count: 8_000)))], at: 1)
        try await Self.withSmallServer(kind) { server, transport async throws in
            var session = SyncDriver(replica: replica)
            let error = await #expect(throws: SyncError.self) { try await session.run(over: transport) }
            guard case .pushRefused(let message)? = error else {
                Issue.record("expected pushRefused, got \(String(describing: error))")
                return
            }
            #expect(message.contains("65536"), "\(message)")
            #expect(SyncError.pushRefused(message).description.contains("--max-body-bytes"))
            #expect(try await server.pulledByANewReplica(of: "alice").store.versionVector().total == 0)
        }
        #expect(try replica.pending().count == 1)
    }
}
