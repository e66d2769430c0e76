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

/// Hostile or malformed bodies sent to the sync endpoint: each gets a 4xx JSON error naming
/// the problem, the server keeps serving, and its database is byte-identical afterwards.
@Suite struct HostileRequestTests {
    static let replica = "0a0a0a0a-0000-4000-8000-000000000001"
    static let record = "0b0b0b0b-0000-4000-8000-000000000002"

    static func version(counter: String = "1", context: String = "{}", kind: String = "\"cell\"", field: String = "\"title\"",
                        value: String = "\"T\"", author: String = "\"alice\"", record: String = "\"\(record)\"", replica: String = "\"\(replica)\"") -> String {
        #"{"dot":{"replica":\#(replica),"counter":\#(counter)},"context":\#(context),"record":\#(record),"kind":\#(kind),"field":\#(field),"value":\#(value),"author":\#(author),"time":1}"#
    }

    static func body(versions: [String], vector: String = "{}", protocolVersion: String = "2", replica: String = "\"\(replica)\"", cursor: String? = nil,
                     extra: String = "") -> String {
        #"{"protocolVersion":\#(protocolVersion),"replica":\#(replica),"vector":\#(vector),\#(cursor.map { #""cursor":\#($0),"# } ?? "")\#(extra)"versions":[\#(versions.joined(separator: ","))]}"#
    }

    static let signature = Data(repeating: 7, count: 64).base64EncodedString()

    static func signed(_ first: String, _ last: String, replica: String = replica) -> String {
        #""signatures":[{"replica":"\#(replica)","first":\#(first),"last":\#(last),"signature":"\#(signature)"}],"#
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let body: String
        let status: HTTPResponse.Status
        let code: String
        /// Sent as the request's `Content-Encoding`, with `bytes` as its body instead of `body`.
        var contentEncoding: String?
        var bytes: Data?
        var testDescription: String { name }
    }

    /// 40 MiB of zeros in about 40 KB of gzip, over the 32 MiB the server inflates to at most.
    static let gzipBomb = Gzip.compress(Data(count: 40 << 20))

    static let huge = String(repeating: "x", count: 2 << 20)
    static let tooManyConflicts = #""conflictsResolved":["# + (0...500).map { #""\#(String(format: "%016x", $0))""# }.joined(separator: ",") + "],"
    static let manyWithdrawn = #""withdrawn":["# + (1...20_001).map { #"{"replica":"\#(replica)","counter":\#($0)}"# }.joined(separator: ",") + "],"
    static let manyEntries = "{" + (0..<10_001).map { #""\#(String(format: "%08x", $0))-0000-4000-8000-000000000000":1"# }.joined(separator: ",") + "}"

    static let cases: [Case] = [
        Case(name: "empty body", body: "", status: .badRequest, code: "malformed_body"),
        Case(name: "not JSON", body: "sync please", status: .badRequest, code: "malformed_body"),
        Case(name: "truncated JSON", body: String(body(versions: [version()]).dropLast(10)), status: .badRequest, code: "malformed_body"),
        Case(name: "JSON array", body: "[]", status: .badRequest, code: "malformed_body"),
        Case(name: "protocol version as string", body: body(versions: [], protocolVersion: "\"1\""), status: .badRequest, code: "malformed_body"),
        Case(name: "unsupported protocol version", body: body(versions: [], protocolVersion: "7"), status: .badRequest, code: "unsupported_protocol"),
        Case(name: "cursor chain not hex", body: body(versions: [], cursor: #"{"seq":1,"chain":"xyz"}"#), status: .badRequest, code: "malformed_body"),
        Case(name: "cursor chain over 64 bits", body: body(versions: [], cursor: #"{"seq":1,"chain":"1ffffffffffffffff"}"#), status: .badRequest, code: "malformed_body"),
        Case(name: "cursor seq negative", body: body(versions: [], cursor: #"{"seq":-1,"chain":"0"}"#), status: .badRequest, code: "malformed_body"),
        Case(name: "cursor without its chain", body: body(versions: [], cursor: #"{"seq":1}"#), status: .badRequest, code: "malformed_body"),
        Case(name: "replica not a UUID", body: body(versions: [], replica: "\"me\""), status: .badRequest, code: "malformed_body"),
        Case(name: "versions not an array", body: #"{"protocolVersion":2,"replica":"\#(replica)","vector":{},"versions":{}}"#, status: .badRequest, code: "malformed_body"),
        Case(name: "negative counter", body: body(versions: [version(counter: "-1")]), status: .badRequest, code: "malformed_body"),
        Case(name: "zero counter", body: body(versions: [version(counter: "0")]), status: .badRequest, code: "invalid_version"),
        Case(name: "counter beyond Int64", body: body(versions: [version(counter: "18446744073709551615")]), status: .badRequest, code: "invalid_version"),
        Case(name: "counter beyond UInt64", body: body(versions: [version(counter: "18446744073709551616")]), status: .badRequest, code: "malformed_body"),
        Case(name: "counter as a fraction", body: body(versions: [version(counter: "1.5")]), status: .badRequest, code: "malformed_body"),
        Case(name: "counter jump", body: body(versions: [version(counter: "5")]), status: .conflict, code: "counter_gap"),
        Case(name: "context that has seen itself", body: body(versions: [version(context: #"{"\#(replica)":3}"#)]), status: .badRequest, code: "invalid_version"),
        Case(name: "context with a non-UUID key", body: body(versions: [version(context: #"{"x":1}"#)]), status: .badRequest, code: "malformed_body"),
        Case(name: "vector with too many entries", body: body(versions: [], vector: manyEntries), status: .badRequest, code: "vector_too_large"),
        Case(name: "unknown record kind", body: body(versions: [version(kind: "\"memo\"")]), status: .badRequest, code: "invalid_version"),
        Case(name: "unknown field", body: body(versions: [version(field: "\"colour\"")]), status: .badRequest, code: "invalid_version"),
        Case(name: "integer for a text field", body: body(versions: [version(value: "42")]), status: .badRequest, code: "invalid_version"),
        Case(name: "object as a value", body: body(versions: [version(value: "{}")]), status: .badRequest, code: "malformed_body"),
        Case(name: "label outside the list", body: body(versions: [version(field: "\"trajectory\"", value: "\"Sideways\"")]), status: .badRequest, code: "invalid_version"),
        Case(name: "bad date", body: body(versions: [version(field: "\"lastAssessed\"", value: "\"2026-13-40\"")]), status: .badRequest, code: "invalid_version"),
        Case(name: "set out of canonical order", body: body(versions: [version(field: "\"relatedCells\"", value: #"["17","16"]"#)]), status: .badRequest, code: "invalid_version"),
        Case(name: "overlong record id", body: body(versions: [version(record: "\"\(record)\(record)\"")]), status: .badRequest, code: "malformed_body"),
        Case(name: "overlong author", body: body(versions: [version(author: "\"\(String(repeating: "a", count: 100))\"")]), status: .badRequest, code: "invalid_version"),
        Case(name: "value over the size limit", body: body(versions: [version(value: "\"\(huge)\"")]), status: .badRequest, code: "invalid_version"),
        Case(name: "NUL byte in a value", body: body(versions: [version(value: #""a\u0000b""#)]), status: .badRequest, code: "invalid_version"),
        Case(name: "lone surrogate in a value", body: body(versions: [version(value: #""a\ud800b""#)]), status: .badRequest, code: "malformed_body"),
        Case(name: "control character in the author", body: body(versions: [version(author: #""ali\u0007ce""#)]), status: .badRequest, code: "invalid_version"),
        Case(name: "another analyst's name as author", body: body(versions: [version(author: "\"bob\"")]), status: .forbidden, code: "author_mismatch"),
        Case(name: "public key not base64", body: body(versions: [], extra: #""publicKey":"not base64!","#), status: .badRequest, code: "malformed_body"),
        Case(name: "public key of 5 bytes", body: body(versions: [], extra: #""publicKey":"AQIDBAU=","#), status: .badRequest, code: "malformed_signature"),
        Case(name: "signatures not an array", body: body(versions: [], extra: #""signatures":{},"#), status: .badRequest, code: "malformed_body"),
        Case(name: "signed range starting at 0", body: body(versions: [version()], extra: signed("0", "1")), status: .badRequest, code: "malformed_signature"),
        Case(name: "signed range ending before it starts", body: body(versions: [version()], extra: signed("2", "1")), status: .badRequest, code: "malformed_signature"),
        Case(name: "signed range over 1,000 versions", body: body(versions: [version()], extra: signed("1", "1001")), status: .badRequest, code: "malformed_signature"),
        Case(name: "signed range of more counters than an Int holds", body: body(versions: [version()], extra: signed("1", "18446744073709551615")), status: .badRequest, code: "malformed_signature"),
        Case(name: "signed range missing a version", body: body(versions: [version()], extra: signed("1", "2")), status: .badRequest, code: "malformed_signature"),
        Case(name: "signed range of a replica not carried", body: body(versions: [], extra: signed("1", "1", replica: record)), status: .badRequest, code: "malformed_signature"),
        Case(name: "a stranger's versions signed by nobody known", body: body(versions: [version(author: "\"carol\"")], extra: signed("1", "1")), status: .forbidden, code: "unknown_key"),
        Case(name: "conflict id not 16 hex digits", body: body(versions: [], extra: #""conflictsOpened":["0123456789ABCDEF"],"#), status: .badRequest, code: "malformed_body"),
        Case(name: "over 500 conflict ids", body: body(versions: [], extra: tooManyConflicts), status: .badRequest, code: "malformed_body"),
        Case(name: "a conflict report beside another analyst's version", body: body(versions: [version(author: "\"bob\"")], extra: #""conflictsOpened":["0123456789abcdef"],"#),
             status: .forbidden, code: "author_mismatch"),
        Case(name: "a home for a record the push does not write", body: body(versions: [version()], extra: #""homes":[{"record":"\#(replica)","compartments":["east"]}],"#),
             status: .badRequest, code: "malformed_body"),
        Case(name: "a home naming two compartments", body: body(versions: [version()], extra: #""homes":[{"record":"\#(record)","compartments":["east","west"]}],"#),
             status: .badRequest, code: "malformed_body"),
        Case(name: "a home that is no compartment name", body: body(versions: [version()], extra: #""homes":[{"record":"\#(record)","compartments":["East Asia; DROP"]}],"#),
             status: .badRequest, code: "malformed_body"),
        Case(name: "withdrawing another analyst's dots", body: body(versions: [], extra: #""withdrawn":[{"replica":"\#(record)","counter":3}],"#),
             status: .forbidden, code: "replica_not_yours"),
        Case(name: "over 20,000 withdrawn dots", body: body(versions: [], extra: manyWithdrawn), status: .contentTooLarge, code: "too_many_versions"),
        Case(name: "an access cursor that is not two counters", body: body(versions: [], extra: #""access":{"clearances":"all"},"#),
             status: .badRequest, code: "malformed_body"),
        Case(name: "a shallow page that also pushes", body: body(versions: [version()], extra: #""shallow":{},"#), status: .badRequest, code: "malformed_body"),
        Case(name: "a shallow page at a forged position", body: body(versions: [], extra: #""shallow":{"at":{"seq":1,"chain":"3039"}},"#),
             status: .conflict, code: "unknown_cursor"),
        Case(name: "a shallow page after no record id", body: body(versions: [], extra: #""shallow":{"after":"'; DROP TABLE version; --"},"#),
             status: .badRequest, code: "malformed_body"),
        Case(name: "a shallow page that withdraws dots", body: body(versions: [], extra: #""shallow":{},"withdrawn":[{"replica":"\#(replica)","counter":1}],"#),
             status: .badRequest, code: "malformed_body"),
        Case(name: "a shallow page that places a record", body: body(versions: [], extra: #""shallow":{},"homes":[{"record":"\#(record)","compartments":["default"]}],"#),
             status: .badRequest, code: "malformed_body"),
        Case(name: "a shallow page with a backfill", body: body(versions: [], extra: #""shallow":{},"backfill":{"compartments":[],"records":[],"after":0},"#),
             status: .badRequest, code: "malformed_body"),
        Case(name: "a gzip bomb", body: "", status: .contentTooLarge, code: "body_too_large", contentEncoding: "gzip", bytes: gzipBomb),
        Case(name: "gzip that is not gzip", body: body(versions: [version()]), status: .badRequest, code: "malformed_body", contentEncoding: "gzip"),
        Case(name: "gzip cut short", body: "", status: .badRequest, code: "malformed_body", contentEncoding: "gzip",
             bytes: Gzip.compress(Data(body(versions: [version()]).utf8)).dropLast(8)),
        Case(name: "a content coding the server does not read", body: body(versions: [version()]), status: .unsupportedMediaType,
             code: "unsupported_media_type", contentEncoding: "br"),
    ]

    @Test("a hostile request is refused cleanly", arguments: cases)
    func hostile(testCase: Case) async throws {
        try await Self.refusedCleanly(testCase, uri: "/v1/sync")
    }

    /// Sends `testCase`'s body to `uri` as alice, on each store kind (with analysts alice and bob,
    /// and what `prepare` adds): the answer is the expected refusal with a sentence, the server
    /// keeps serving, and its state is what it was.
    static func refusedCleanly(_ testCase: Case, uri: String, prepare: (any InspectableStorage) async throws -> Void = { _ in }) async throws {
        for kind in StoreKind.allCases {
            let server = try await kind.server()
            defer { server.close() }
            let store = server.storage
            let token = TokenHasher.makeToken(analyst: "alice")
            try await store.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 1)
            try await store.addAnalyst(name: "bob", tokenHash: TokenHasher.hash(TokenHasher.makeToken(analyst: "bob")), at: 1)
            try await prepare(store)
            let before = try await store.canonicalDump()
            let app = try buildApplication(store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0))
            var fields: HTTPFields = [.authorization: "Bearer " + token, .contentType: "application/json"]
            if let coding = testCase.contentEncoding { fields[.contentEncoding] = coding }
            let headers = fields
            let body = testCase.bytes.map { ByteBuffer(bytes: $0) } ?? ByteBuffer(string: testCase.body)
            let expected = (testCase.status, testCase.code)
            try await app.test(.router) { client in
                try await client.execute(uri: uri, method: .post, headers: headers, body: body) { response in
                    #expect(response.status == expected.0, "\(kind)")
                    let error = try? JSONDecoder().decode(ErrorResponse.self, from: Data(response.body.readableBytesView))
                    #expect(error?.error.code.rawValue == expected.1, "\(kind)")
                    #expect((error?.error.message.count ?? 0) > 20)
                }
                try await client.execute(uri: "/v1/health", method: .get) { response in #expect(response.status == .ok) }
            }
            #expect(try await store.canonicalDump() == before, "\(testCase.name) changed the \(kind) server's state")
            #expect(try await store.conflictCounts() == ConflictCounts(open: 0, opened: 0), "\(testCase.name) recorded a conflict report on the \(kind) server")
        }
    }
}
