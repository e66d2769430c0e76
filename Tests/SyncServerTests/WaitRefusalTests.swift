import Foundation
import LocalStore
import StoreKinds
import SyncHTTP
import SyncModel
import SyncProtocol
import SyncServerCore
import Testing
import TestSupport

/// What a wait refuses, with its status, code and sentence; a refused wait changes nothing.
extension WaitEndpointTests {
    @Test(arguments: StoreKind.allCases) func badWaitsAreRefusedWithASentenceAndChangeNothing(kind: StoreKind) async throws {
        let live = try await LiveServer(kind)
        let alice = try Replica.inMemory(analyst: "alice")
        try await live.sync(alice)
        let cursor = try #require(try alice.serverCursor())
        let before = try await live.server.storage.canonicalDump()
        func refusal(_ analyst: String, _ request: WaitRequest) async -> SyncError? {
            do {
                _ = try await live.http(analyst).wait(request, seconds: 1)
                return nil
            } catch {
                return error as? SyncError
            }
        }
        let forged = WaitRequest(replica: alice.id, cursor: FeedCursor(seq: cursor.seq, chain: cursor.chain ^ 1), access: nil)
        guard case .server(409, .unknownCursor, let message)? = await refusal("alice", forged) else {
            Issue.record("a forged cursor was not refused with 409 unknown_cursor")
            return
        }
        #expect(message.contains("is not a position of this server's feed"))
        let ahead = WaitRequest(replica: alice.id, cursor: FeedCursor(seq: cursor.seq + 5, chain: 7), access: nil)
        guard case .server(409, .unknownCursor, _)? = await refusal("alice", ahead) else {
            Issue.record("a cursor past the feed's head was not refused")
            return
        }
        guard case .server(401, .unauthorized, _)? = await refusal("mallory", WaitRequest(replica: alice.id, cursor: cursor, access: nil)) else {
            Issue.record("a wait without a known token was not refused with 401")
            return
        }
        #expect(try await live.server.storage.canonicalDump() == before)
        try await live.stop()
    }

    @Test func malformedWaitBodiesAreRefusedWithASentence() async throws {
        let live = try await LiveServer(.sqlite)
        let token = try #require(live.tokens["alice"])
        let bodies = [
            ("not JSON", "hello", "the body is not valid JSON"),
            ("no cursor", #"{"protocolVersion":2,"replica":"11111111-1111-4111-8111-111111111111"}"#, "missing key 'cursor'"),
            ("zero seconds", #"{"protocolVersion":2,"replica":"11111111-1111-4111-8111-111111111111","cursor":{"seq":0,"chain":"0"},"seconds":0}"#, "at least 1"),
            ("old protocol", #"{"protocolVersion":1,"replica":"11111111-1111-4111-8111-111111111111","cursor":{"seq":0,"chain":"0"}}"#, "protocol version"),
        ]
        for (name, body, sentence) in bodies {
            let raw = "POST /v1/wait HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            let answer = try await OwnThreads.run { try RawHTTP.exchange(raw, port: live.port) }
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(name): \(answer.prefix(60))")
            #expect(answer.contains(sentence), "\(name): \(answer)")
        }
        try await live.stop()
    }

    @Test func theLimitsOnWaitsAreAnsweredWithTheirOption() async throws {
        var limits = ServerLimits()
        limits.maxWaitsPerAnalyst = 2
        limits.maxWaits = 3
        let live = try await LiveServer(.sqlite, limits: limits)
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try await live.sync(alice)
        try await live.sync(bob)
        let parked = (0..<2).map { _ in Task { try await live.wait(alice, seconds: 10) } }
        try await Self.parked(live.waits, count: 2)
        do {
            _ = try await live.wait(alice, seconds: 1)
            Issue.record("a third wait of alice's was admitted")
        } catch SyncError.server(let status, let code, let message) {
            #expect(status == 429 && code == .tooManyWaits && message.contains("--max-waits-per-analyst"), "\(message)")
        }
        let bobs = Task { try await live.wait(bob, seconds: 10) }
        try await Self.parked(live.waits, count: 3)
        do {
            _ = try await live.wait(bob, seconds: 1)
            Issue.record("a wait past the server's limit was admitted")
        } catch SyncError.server(let status, let code, let message) {
            #expect(status == 503 && code == .serverBusy && message.contains("--max-waits"), "\(message)")
        }
        try await live.stop()
        for task in parked { #expect(try await task.value.changed == false) }
        #expect(try await bobs.value.changed == false)
    }
}
