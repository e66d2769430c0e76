import Foundation
import LocalStore
import SyncModel
@testable import SyncProtocol
import Testing
import TestSupport

/// Fails the requests whose numbers (from 1, counting every attempt) are in `drops` with `error`;
/// passes the others to the server.
final class DroppingTransport: SyncTransport, @unchecked Sendable {
    let inner: InProcessTransport<SQLiteServerStore>
    let drops: Set<Int>
    let error: SyncError
    private let lock = NSLock()
    private var sent = 0

    init(_ inner: InProcessTransport<SQLiteServerStore>, drops: Set<Int>, error: SyncError) {
        self.inner = inner
        self.drops = drops
        self.error = error
    }

    var attempts: Int { lock.withLock { sent } }

    func send(_ request: SyncRequest) async throws -> SyncResponse {
        let number = lock.withLock {
            sent += 1
            return sent
        }
        if drops.contains(number) { throw error }
        return try await inner.send(request)
    }
}

/// What a transport reported and waited, in order.
final class RetryLog: @unchecked Sendable {
    private let lock = NSLock()
    private var retries: [RetryingTransport<DroppingTransport>.Retry] = []
    private var waits: [Duration] = []

    func note(_ retry: RetryingTransport<DroppingTransport>.Retry) { lock.withLock { retries.append(retry) } }
    func wait(_ delay: Duration) { lock.withLock { waits.append(delay) } }
    var numbers: [Int] { lock.withLock { retries.map(\.number) } }
    var delays: [Duration] { lock.withLock { waits } }
}

@Suite struct RetryingTransportTests {
    static let reset = SyncError.unreachable(server: "http://127.0.0.1:1", reason: "connection reset by peer")

    /// Alice with 30 writes to push in pages of 10, a server, and a session over a transport
    /// that drops `drops` with `error` and retries `retries` times (waits recorded, not slept).
    static func sync(drops: Set<Int>, error: SyncError = reset, retries: Int = 3) async throws
        -> (server: SQLiteServerStore, alice: Replica, dropping: DroppingTransport, log: RetryLog, result: Result<Void, any Error>) {
        let server = try SQLiteServerStore.inMemory()
        try server.addAnalyst(name: "alice", tokenHash: "hash-of-alice", at: 0)
        let alice = try Replica.inMemory(analyst: "alice")
        try SyncSessionTests.writeMany(alice, count: 30, prefix: "retry")
        let dropping = DroppingTransport(InProcessTransport(store: server, analyst: "alice"), drops: drops, error: error)
        let log = RetryLog()
        let transport = RetryingTransport(dropping, delays: RetryingTransport<DroppingTransport>.backoff(retries: retries),
                                          sleep: { log.wait($0) }, onRetry: { log.note($0) })
        var session = SyncDriver(replica: alice, pushPageSize: 10, pullPageSize: 10)
        let result: Result<Void, any Error>
        do {
            try await session.run(over: transport)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        return (server, alice, dropping, log, result)
    }

    @Test func aRequestDroppedAfterTheServerAnsweredIsSentAgainAndTheSyncCompletes() async throws {
        // The second request (the first push) is dropped twice, then goes through.
        let run = try await Self.sync(drops: [2, 3])
        #expect(throws: Never.self) { try run.result.get() }
        #expect(try run.server.versionVector().total == 30)
        #expect(try run.alice.pending().isEmpty)
        #expect(run.log.numbers == [1, 2])
        #expect(run.log.delays == [.seconds(1), .seconds(2)])
    }

    @Test func aGatewayFailureIsRetriedLikeADroppedConnection() async throws {
        let run = try await Self.sync(drops: [3], error: .server(status: 503, code: .httpError, message: "Service Unavailable"))
        #expect(throws: Never.self) { try run.result.get() }
        #expect(try run.server.versionVector().total == 30)
        #expect(run.log.numbers == [1])
    }

    @Test func aSyncThatCannotReachTheServerAtAllFailsAtOnce() async throws {
        let run = try await Self.sync(drops: [1])
        #expect(throws: SyncError.self) { try run.result.get() }
        #expect(run.dropping.attempts == 1)
        #expect(run.log.numbers.isEmpty)
        #expect(try run.alice.pending().count == 30, "the writes stay queued")
    }

    @Test func aRefusalIsNotRetried() async throws {
        let refused = SyncError.server(status: 403, code: .replicaNotYours, message: "not yours")
        let run = try await Self.sync(drops: [2], error: refused)
        #expect(throws: refused) { try run.result.get() }
        #expect(run.dropping.attempts == 2)
        #expect(run.log.numbers.isEmpty)
    }

    @Test func retriesRunOutAndTheErrorIsReported() async throws {
        let run = try await Self.sync(drops: [2, 3, 4], retries: 2)
        #expect(throws: Self.reset) { try run.result.get() }
        #expect(run.dropping.attempts == 4, "the first request, then the second three times")
        #expect(run.log.numbers == [1, 2])
        #expect(try run.alice.pending().count == 30)
    }

    @Test func theBackoffDoublesUpToEightSeconds() {
        #expect(RetryingTransport<DroppingTransport>.backoff(retries: 5) == [1, 2, 4, 8, 8].map { Duration.seconds($0) })
        #expect(RetryingTransport<DroppingTransport>.backoff(retries: 0).isEmpty)
    }
}
