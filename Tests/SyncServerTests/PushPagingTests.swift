import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStore
import SyncModel
import SyncProtocol
import SyncServerCore
import Testing

/// Pushes are bounded by size, so a backlog of large edits reaches a server whose request limit
/// one count-bounded page would exceed; over real HTTP on 127.0.0.1.
@Suite struct PushPagingTests {
    @Test func theSyncBudgetStaysWellUnderTheServersDefaultBodyLimit() {
        #expect(PageBudget.syncBytes * 4 <= ServerLimits().maxBodyBytes)
    }

    @Test func aBacklogOverTheBodyLimitTravelsInPagesUnderTheBudget() async throws {
        let store = try ServerStore.inMemory()
        let token = TokenHasher.makeToken(analyst: "alice")
        try store.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 1)
        var limits = ServerLimits()
        limits.maxBodyBytes = 64 << 10
        let app = try buildApplication(store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, limits: limits))

        // 24 edits of 4,000 characters: about 100 KB, over the 64 KiB limit in one request.
        let replica = try Replica.inMemory(analyst: "alice")
        for index in 0..<24 {
            let text = String(repeating: "section \(index) ", count: 4_000 / 12)
            try replica.write([FieldChange(record: .random(), kind: "cell", field: "title", value: .text(text))], at: Int64(index))
        }
        let client = try HTTPTransport.makeClient()
        do {
            try await app.test(.live) { testClient in
                let port = try #require(testClient.port)
                let transport = HTTPTransport(client: client, server: "http://127.0.0.1:\(port)", token: token)

                // Bounded by count alone, the first push is refused for its size, every time.
                var unbounded = SyncSession(replica: replica)
                unbounded.pushBudget = .unbounded
                let refusal = await #expect(throws: SyncError.self) { try await unbounded.run(over: transport) }
                guard case .server(status: 413, code: "body_too_large", _)? = refusal else {
                    Issue.record("expected a 413 body_too_large, got \(String(describing: refusal))")
                    return
                }
                #expect(try store.store.versionVector().total == 0)

                var session = SyncSession(replica: replica)
                session.pushBudget = PageBudget(maxBytes: 16 << 10)
                try await session.run(over: transport)
                #expect(try store.store.versionVector().total == 24)
                // Three or four edits per 16 KiB page, plus the opening pull.
                #expect(session.stats.sent == 24 && session.stats.requests >= 7, "\(session.stats)")
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        #expect(try replica.pending().isEmpty)
    }
}
