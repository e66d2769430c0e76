import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStore
import SyncHTTP
import SyncModel
import SyncProtocol
import StoreKinds
import SyncServerCore
import Testing
import AsyncHTTPClient

/// gzip on the sync wire is negotiated: a peer that says nothing of it gets and is sent plain
/// bodies, so a client or server from before compression works with one from after.
@Suite struct CompressionNegotiationTests {
    /// `count` titles of prose on a fresh in-memory replica of alice.
    static func backlog(_ count: Int) throws -> Replica {
        let replica = try Replica.inMemory(analyst: "alice")
        for index in 0..<count {
            let text = (0..<40).map { "Line \($0) of section \(index): the situation as it reads now." }.joined(separator: "\n")
            try replica.write([FieldChange(record: .random(), kind: "cell", field: "title", value: .text(text))], at: Int64(index))
        }
        return replica
    }

    @Test func aClientThatDoesNotAskGetsPlainAnswersAndOneThatAsksGetsTheSameBytesGzipped() async throws {
        let server = try await StoreKind.sqlite.server()
        defer { server.close() }
        let store = server.storage
        let token = TokenHasher.makeToken(analyst: "alice")
        try await store.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 1)
        let app = try buildApplication(store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0))
        let replica = try Self.backlog(30)
        let push = SyncRequest(replica: replica.id, vector: try replica.store.versionVector(), versions: try replica.pending(), pageLimit: 1)
        let plainPush = BinaryWire.encode(push)
        try await app.test(.router) { client in
            var headers: HTTPFields = [.authorization: "Bearer " + token, .contentType: BinaryWire.contentType, .contentEncoding: "gzip"]
            // A gzip request is taken as its plain body would be.
            try await client.execute(uri: "/v1/sync", method: .post, headers: headers, body: ByteBuffer(bytes: Gzip.compress(plainPush))) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == nil, "this request did not ask for gzip")
            }
            headers[.contentEncoding] = nil
            let other = ReplicaID.random()
            let pull = ByteBuffer(bytes: BinaryWire.encode(SyncRequest(replica: other, vector: VersionVector(), cursor: .start, versions: [], pageLimit: 1_000)))
            var plain = Data()
            try await client.execute(uri: "/v1/sync", method: .post, headers: headers, body: pull) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == nil)
                #expect(response.headers[.acceptEncoding] == "gzip", "the server says it takes gzip requests")
                plain = Data(response.body.readableBytesView)
                #expect((try? BinaryWire.decodeResponse(plain))?.versions.count == 30)
            }
            headers[.acceptEncoding] = "gzip"
            try await client.execute(uri: "/v1/sync", method: .post, headers: headers, body: pull) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentEncoding] == "gzip")
                let packed = Data(response.body.readableBytesView)
                print("a page of 30 prose titles: \(plain.count) bytes plain, \(packed.count) gzipped (ratio \(String(format: "%.2f", Double(plain.count) / Double(packed.count))))")
                #expect(packed.count * 4 < plain.count, "\(packed.count) against \(plain.count)")
                #expect((try? Gzip.decompress(packed, limit: 1 << 20)) == plain)
            }
        }
    }

    /// Strips what a server from before compression would not say or hear: `Accept-Encoding`
    /// both ways; records whether any request came gzipped.
    struct OldServer: RouterMiddleware {
        typealias Context = SyncRequestContext
        let sawGzip: Counter

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            if request.headers[.contentEncoding] != nil { sawGzip.add() }
            var head = request.head
            head.headerFields[.acceptEncoding] = nil
            var response = try await next(Request(head: head, body: request.body), context)
            response.headers[.acceptEncoding] = nil
            return response
        }
    }

    /// Holds each answer 20 ms: once the requests have moved enough bytes to time the link, the
    /// meter's pace follows their rate, and loopback on a fast machine could pass the rate at
    /// which compressing stops paying (``LinkPace/fastBytesPerSecond``). A few KB in 20 ms stays
    /// well under it on any machine.
    struct SlowLink: RouterMiddleware {
        typealias Context = SyncRequestContext

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            try await Task.sleep(for: .milliseconds(20))
            return try await next(request, context)
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }

    /// Syncs a backlog of prose to a server on 127.0.0.1 through `HTTPTransport` with a meter (as
    /// `sync` runs it), the server old or new; returns the meter's samples and gzip requests seen.
    static func syncBacklog(toAnOldServer old: Bool) async throws -> (samples: [TransferMeter.Sample], gzipSeen: Int) {
        let server = try await StoreKind.sqlite.server()
        defer { server.close() }
        let token = TokenHasher.makeToken(analyst: "alice")
        try await server.storage.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 1)
        let seen = Counter()
        let router = Router(context: SyncRequestContext.self)
        router.add(middleware: SlowLink())
        if old { router.add(middleware: OldServer(sawGzip: seen)) }
        SyncController(store: server.storage, limits: ServerLimits()).register(on: router)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let replica = try Self.backlog(60)
        let client = try HTTPTransport.makeClient()
        // A slow link, so the meter asks for gzip from the first request (SlowLink keeps the
        // measured rate slow after).
        let meter = TransferMeter(known: (bytesPerSecond: 8_000, roundTrip: 0.6))
        do {
            try await app.test(.live) { testClient in
                var transport = HTTPTransport(client: client, server: "http://127.0.0.1:\(try #require(testClient.port))", token: token)
                transport.meter = meter
                // Pages of 10 versions, so several requests push after the first answer.
                var driver = SyncDriver(replica: replica, pushPageSize: 10, pullPageSize: 10)
                try await driver.run(over: transport)
            }
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        #expect(try replica.pending().isEmpty, "every version reached the \(old ? "old" : "new") server")
        #expect(try await server.pulledByANewReplica(of: "alice").store.versionVector().total == 60)
        return (meter.samples, seen.value)
    }

    @Test func theClientGzipsItsRequestsOnlyForAServerThatSaysItReadsThem() async throws {
        let new = try await Self.syncBacklog(toAnOldServer: false)
        #expect(new.samples.count >= 4, "\(new.samples)")
        #expect(new.samples.first.map { $0.sent == $0.plainSent } == true, "the first request goes plain: the server has not said yet")
        #expect(new.samples.dropFirst().allSatisfy { $0.sent * 3 < $0.plainSent }, "later pushes go gzipped: \(new.samples)")
        let old = try await Self.syncBacklog(toAnOldServer: true)
        #expect(old.gzipSeen == 0, "an old server is sent no gzip request")
        #expect(old.samples.allSatisfy { $0.sent == $0.plainSent && $0.received == $0.plainReceived }, "\(old.samples)")
    }
}
