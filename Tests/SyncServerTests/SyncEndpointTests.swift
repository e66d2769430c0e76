import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStore
import SyncModel
import SyncProtocol
import StoreKinds
import SyncServerCore
import Testing
import TestSupport

/// The sync endpoint through Hummingbird's router test client: every refusal is a JSON error
/// with the right status, and the server's database is byte-identical afterwards.
@Suite struct SyncEndpointTests {
    struct Fixture {
        let server: TestServer
        var store: any InspectableStorage { server.storage }
        let aliceToken = TokenHasher.makeToken(analyst: "alice")
        let bobToken = TokenHasher.makeToken(analyst: "bob")
        let alice: Replica
        let bob: Replica

        init(_ kind: StoreKind) async throws {
            server = try await kind.server()
            try await server.storage.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(aliceToken), at: 1)
            try await server.storage.addAnalyst(name: "bob", tokenHash: TokenHasher.hash(bobToken), at: 1)
            alice = try Replica.inMemory(analyst: "alice")
            bob = try Replica.inMemory(analyst: "bob")
        }

        func app(limits: ServerLimits = ServerLimits()) throws -> some ApplicationProtocol {
            try buildApplication(store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, limits: limits))
        }
    }

    static let record = RecordID("33333333-3333-4333-8333-333333333333")!

    static func headers(token: String?, contentType: String = "application/json") -> HTTPFields {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer " + token }
        headers[.contentType] = contentType
        return headers
    }

    static func body(_ request: SyncRequest) -> ByteBuffer { ByteBuffer(bytes: WireProtocol.encode(request)) }

    static func error(_ response: TestResponse) throws -> ErrorResponse {
        try JSONDecoder().decode(ErrorResponse.self, from: Data(response.body.readableBytesView))
    }

    @Test(arguments: StoreKind.allCases) func healthAnswersWithTheProtocolVersion(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        try await fixture.app().test(.router) { client in
            try await client.execute(uri: "/v1/health", method: .get) { response in
                #expect(response.status == .ok)
                let health = try JSONDecoder().decode(HealthResponse.self, from: Data(response.body.readableBytesView))
                #expect(health == HealthResponse())
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func aPushIsStoredAndAnsweredWithTheServerVector(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let versions = try fixture.alice.write([FieldChange(record: Self.record, kind: "cell", field: "title", value: .text("T"))], at: 1)
        let request = SyncRequest(replica: fixture.alice.id, vector: try fixture.alice.store.versionVector(), versions: versions)
        try await fixture.app().test(.router) { client in
            try await client.execute(uri: "/v1/sync", method: .post, headers: Self.headers(token: fixture.aliceToken), body: Self.body(request)) { response in
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode(SyncResponse.self, from: Data(response.body.readableBytesView))
                #expect(answer.vector == VersionVector([fixture.alice.id: 1]))
                #expect(answer.versions.isEmpty && !answer.more)
            }
        }
        #expect(try await fixture.store.owners() == [fixture.alice.id: "alice"])
    }

    enum Refusal: String, CaseIterable {
        case noToken, wrongToken, revokedToken, anotherAnalystsReplica, counterGap, malformedBody, notJSON
        case wrongContentType, unsupportedProtocol, bodyTooLarge, tooManyVersions, authorMismatch, unknownField
        case binaryGarbage, binaryTruncated
    }

    @Test("a refused request gets a JSON error and changes nothing", arguments: Refusal.allCases, StoreKind.allCases)
    func refusals(refusal: Refusal, kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        // Given a server that already holds alice's first version (so her replica is bound to her)
        let first = try fixture.alice.write([FieldChange(record: Self.record, kind: "cell", field: "title", value: .text("T"))], at: 1)
        _ = try await fixture.store.exchange(analyst: "alice", clientVector: VersionVector(), versions: first, pageLimit: 10, at: 1)
        let more = try fixture.alice.write([FieldChange(record: Self.record, kind: "cell", field: "tier", value: .text("Tier 1")),
                                            FieldChange(record: Self.record, kind: "cell", field: "trend", value: .text("Up"))], at: 2)
        let vector = try fixture.alice.store.versionVector()
        var token: String? = fixture.aliceToken
        var contentType = "application/json"
        var limits = ServerLimits()
        var body = Self.body(SyncRequest(replica: fixture.alice.id, vector: vector, versions: more))
        let expected: (HTTPResponse.Status, String)
        switch refusal {
        case .noToken:
            token = nil
            expected = (.unauthorized, "unauthorized")
        case .wrongToken:
            token = "alice.not-the-right-secret-at-all"
            expected = (.unauthorized, "unauthorized")
        case .revokedToken:
            try await fixture.store.revoke(name: "alice", at: 3)
            expected = (.unauthorized, "unauthorized")
        case .anotherAnalystsReplica:
            token = fixture.bobToken
            var forged = more
            for index in forged.indices { forged[index].author = "bob" }
            body = Self.body(SyncRequest(replica: fixture.alice.id, vector: vector, versions: forged))
            expected = (.forbidden, "replica_not_yours")
        case .authorMismatch:
            // Bob, from his own replica, pushes versions signed by alice
            token = fixture.bobToken
            body = Self.body(SyncRequest(replica: fixture.bob.id, vector: vector, versions: more))
            expected = (.forbidden, "author_mismatch")
        case .counterGap:
            body = Self.body(SyncRequest(replica: fixture.alice.id, vector: vector, versions: [more[1]]))
            expected = (.conflict, "counter_gap")
        case .malformedBody:
            body = ByteBuffer(string: #"{"protocolVersion":2,"replica":"x"}"#)
            expected = (.badRequest, "malformed_body")
        case .notJSON:
            body = ByteBuffer(string: "hello")
            expected = (.badRequest, "malformed_body")
        case .wrongContentType:
            contentType = "text/plain"
            expected = (.unsupportedMediaType, "unsupported_media_type")
        case .unsupportedProtocol:
            body = Self.body(SyncRequest(replica: fixture.alice.id, vector: vector, versions: more, protocolVersion: 99))
            expected = (.badRequest, "unsupported_protocol")
        case .bodyTooLarge:
            limits.maxBodyBytes = 1024
            body = Self.body(SyncRequest(replica: fixture.alice.id, vector: vector, versions: more + more + more + more))
            expected = (.contentTooLarge, "body_too_large")
        case .binaryGarbage:
            contentType = BinaryWire.contentType
            body = ByteBuffer(string: "hello")
            expected = (.badRequest, "malformed_body")
        case .binaryTruncated:
            contentType = BinaryWire.contentType
            let bytes = BinaryWire.encode(SyncRequest(replica: fixture.alice.id, vector: vector, versions: more))
            body = ByteBuffer(bytes: bytes.dropLast(3))
            expected = (.badRequest, "malformed_body")
        case .tooManyVersions:
            limits.maxVersionsPerRequest = 1
            expected = (.contentTooLarge, "too_many_versions")
        case .unknownField:
            var bad = more
            bad[0].field = "colour"
            body = Self.body(SyncRequest(replica: fixture.alice.id, vector: vector, versions: bad))
            expected = (.badRequest, "invalid_version")
        }
        let before = try await fixture.store.canonicalDump()
        let headers = Self.headers(token: token, contentType: contentType)
        let requestBody = body
        let secrets = [fixture.aliceToken, fixture.bobToken]
        try await fixture.app(limits: limits).test(.router) { client in
            try await client.execute(uri: "/v1/sync", method: .post, headers: headers, body: requestBody) { response in
                #expect(response.status == expected.0)
                let error = try Self.error(response)
                #expect(error.error.code.rawValue == expected.1)
                #expect(error.protocolVersion == WireProtocol.version)
                #expect(error.error.message.count > 20, "an actionable sentence, not a bare code")
                #expect(!secrets.contains { error.error.message.contains($0) })
            }
            // The server still serves afterwards
            try await client.execute(uri: "/v1/health", method: .get) { response in #expect(response.status == .ok) }
        }
        #expect(try await fixture.store.canonicalDump() == before, "\(refusal) changed the server's state")
    }

    /// Over a real socket, so the request's framing is exactly what is sent: a body declared
    /// too large is refused from its Content-Length before it is sent at all, and a chunked body
    /// without a length is refused once what was read passes the limit.
    @Test(arguments: StoreKind.allCases) func aBodyOverTheLimitIsRefusedFromItsLengthOrWhileItIsRead(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        var limits = ServerLimits()
        limits.maxBodyBytes = 1024
        let head = "POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(fixture.aliceToken)\r\nContent-Type: application/json\r\n"
        let chunk = String(repeating: "x", count: 512)
        let requests = [
            // The header alone: not one byte of the promised megabyte follows.
            ("declared", head + "Content-Length: 1048576\r\n\r\n"),
            ("chunked", head + "Transfer-Encoding: chunked\r\n\r\n" + String(repeating: "200\r\n\(chunk)\r\n", count: 4) + "0\r\n\r\n"),
        ]
        let before = try await fixture.store.canonicalDump()
        try await fixture.app(limits: limits).test(.live) { client in
            let port = try #require(client.port)
            for (name, raw) in requests {
                // A blocking socket, so off the cooperative pool the in-process server answers on.
                let answer = try await OwnThreads.run { try RawHTTP.exchange(raw, port: port) }
                #expect(answer.hasPrefix("HTTP/1.1 413"), "\(name): \(answer.prefix(80))")
                #expect(answer.contains("body_too_large"), "\(name)")
            }
        }
        #expect(try await fixture.store.canonicalDump() == before)
    }

    @Test(arguments: StoreKind.allCases) func tokensAreStoredOnlyAsHashes(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let dump = try await fixture.store.canonicalDump()
        #expect(!dump.contains(fixture.aliceToken))
        #expect(dump.contains(TokenHasher.hash(fixture.aliceToken)))
        #expect(TokenHasher.analystName(in: fixture.aliceToken) == "alice")
    }
}

extension SyncEndpointTests {
    @Test(arguments: StoreKind.allCases) func aBinaryPushIsStoredAndAnsweredInBinary(kind: StoreKind) async throws {
        let fixture = try await Fixture(kind)
        let versions = try fixture.alice.write([FieldChange(record: Self.record, kind: "cell", field: "title", value: .text("T"))], at: 1)
        let request = SyncRequest(replica: fixture.alice.id, vector: try fixture.alice.store.versionVector(), versions: versions)
        let answer = try await fixture.app().test(.router) { client in
            try await client.execute(uri: "/v1/sync", method: .post, headers: Self.headers(token: fixture.aliceToken, contentType: BinaryWire.contentType),
                                     body: ByteBuffer(bytes: BinaryWire.encode(request))) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == BinaryWire.contentType)
                return try BinaryWire.decodeResponse(Data(response.body.readableBytesView))
            }
        }
        #expect(answer.vector == VersionVector([fixture.alice.id: 1]))
        #expect(try await fixture.server.pulledByANewReplica(of: "alice").store.canonicalDump() == fixture.alice.store.canonicalDump())
    }
}
