import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStore
import Logging
import SyncModel
import SyncProtocol
import StoreKinds
import SyncServerCore
import Testing
import TestSupport

/// Collects every log record, to check that no token ever reaches a log.
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    var logger: Logger {
        Logger(label: "captured") { _ in Handler(sink: self) }
    }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}

/// Every endpoint × every kind of credential that must not get in: the right 401 or 403,
/// nothing changed, nothing leaked in the answer, no token in the logs.
@Suite struct AuthorizationMatrixTests {
    enum Credential: String, CaseIterable {
        case none, notBearer, malformed, wrongSecret, unknownAnalyst, revoked, anotherAnalystsReplica
    }

    enum Endpoint: String, CaseIterable {
        case health, syncPull, syncPush, estimate
    }

    static let record = RecordID("a0a0a0a0-0000-4000-8000-00000000000a")!
    static let secretTitle = "Alice's unsynced working title"

    @Test("refused credentials change nothing and leak nothing", arguments: Endpoint.allCases, Credential.allCases)
    func matrix(endpoint: Endpoint, credential: Credential) async throws {
        for kind in StoreKind.allCases {
            let server = try await kind.server()
            defer { server.close() }
            let store = server.storage
            let aliceToken = TokenHasher.makeToken(analyst: "alice"), bobToken = TokenHasher.makeToken(analyst: "bob")
            let carolToken = TokenHasher.makeToken(analyst: "carol")
            for (name, token) in [("alice", aliceToken), ("bob", bobToken), ("carol", carolToken)] {
                try await store.addAnalyst(name: name, tokenHash: TokenHasher.hash(token), at: 1)
            }
            try await store.revoke(name: "carol", at: 2)
            // Alice's replica is bound to her and holds a version
            let alice = try Replica.inMemory(analyst: "alice")
            let first = try alice.write([FieldChange(record: Self.record, kind: "cell", field: "title", value: .text(Self.secretTitle))], at: 1)
            _ = try await store.exchange(analyst: "alice", clientVector: VersionVector(), versions: first, pageLimit: 10, at: 1)
            let more = try alice.write([FieldChange(record: Self.record, kind: "cell", field: "tier", value: .text("Tier 2"))], at: 2)

            var authorization: String?
            var versions = more
            switch credential {
            case .none: authorization = nil
            case .notBearer: authorization = "Basic " + Data("alice:secret".utf8).base64EncodedString()
            case .malformed: authorization = "Bearer " + String(repeating: "x", count: 300)
            case .wrongSecret: authorization = "Bearer alice." + String(aliceToken.split(separator: ".")[1].reversed())
            case .unknownAnalyst: authorization = "Bearer mallory." + String(aliceToken.split(separator: ".")[1])
            case .revoked: authorization = "Bearer " + carolToken
            case .anotherAnalystsReplica:
                // Bob's valid token, speaking for alice's replica (and, when pushing, signing as bob)
                authorization = "Bearer " + bobToken
                for index in versions.indices { versions[index].author = "bob" }
            }
            let request = SyncRequest(replica: alice.id, vector: VersionVector(), versions: endpoint == .syncPush ? versions : [])
            var headers = HTTPFields()
            if let authorization { headers[.authorization] = authorization }
            headers[.contentType] = WireProtocol.contentType

            let logs = CapturedLogs()
            let app = try buildApplication(store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0), logger: logs.logger)
            let before = try await store.canonicalDump()
            let requestHeaders = headers
            let (status, answer) = try await app.test(.router) { client in
                let uri = ["health": "/v1/health", "estimate": "/v1/estimate"][endpoint.rawValue] ?? "/v1/sync"
                let method: HTTPRequest.Method = endpoint == .health ? .get : .post
                let body = endpoint == .health ? ByteBuffer() : ByteBuffer(bytes: WireProtocol.encode(request))
                return try await client.execute(uri: uri, method: method, headers: requestHeaders, body: body) { response in
                    (response.status, Data(response.body.readableBytesView))
                }
            }
            #expect(try await store.canonicalDump() == before, "\(endpoint) with \(credential) changed the \(kind) server")
            let text = String(decoding: answer, as: UTF8.self)
            switch endpoint {
            case .health:
                // Public by design, for probes: the same few bytes whoever asks, and no data
                #expect(status == .ok)
                #expect(try JSONDecoder().decode(HealthResponse.self, from: answer) == HealthResponse())
                #expect(answer == Data(WireProtocol.encode(HealthResponse())))
            case .syncPull, .syncPush, .estimate:
                let error = try JSONDecoder().decode(ErrorResponse.self, from: answer)
                if credential == .anotherAnalystsReplica {
                    #expect(status == .forbidden)
                    #expect(error.error.code.rawValue == "replica_not_yours")
                } else {
                    #expect(status == .unauthorized)
                    #expect(error.error.code.rawValue == "unauthorized")
                }
                // One answer for every wrong token, so it does not tell which part was wrong
                if [.wrongSecret, .unknownAnalyst, .revoked].contains(credential) {
                    #expect(error.error.message == "the token is unknown or revoked; ask the server administrator for a new one")
                }
            }
            for secret in [Self.secretTitle, aliceToken, bobToken, carolToken, TokenHasher.hash(aliceToken), "alice"] {
                #expect(!text.contains(secret), "the answer leaks '\(secret.prefix(12))…'")
            }
            let logged = logs.text
            for token in [aliceToken, bobToken, carolToken] {
                #expect(!logged.contains(token) && !logged.contains(String(token.split(separator: ".")[1])), "a token reached the log")
            }
            if let authorization { #expect(!logged.contains(authorization)) }
        }
    }

    @Test func hashesAreComparedWithoutShortcuts() {
        let hash = TokenHasher.hash("alice.secret")
        #expect(TokenHasher.constantTimeEquals(hash, hash))
        #expect(!TokenHasher.constantTimeEquals(hash, TokenHasher.hash("alice.other")))
        #expect(!TokenHasher.constantTimeEquals(hash, String(hash.dropLast())))
        #expect(!TokenHasher.constantTimeEquals(hash, ""))
        #expect(!TokenHasher.constantTimeEquals("a", "b") && TokenHasher.constantTimeEquals("", ""))
    }
}
