import Foundation
import Hummingbird
import HummingbirdTesting
import SyncModel
import SyncProtocol
import StoreKinds
import SyncServerCore
import Testing
import TestSupport

/// `POST /v1/estimate` refuses what is not the start of a sync with a sentence and a 4xx, keeps
/// serving, and leaves the database byte-identical, on both stores; a good one answers what
/// the pull would bring.
@Suite struct EstimateEndpointTests {
    typealias Case = HostileRequestTests.Case
    static let replica = HostileRequestTests.replica

    static let cases: [Case] = [
        Case(name: "empty body", body: "", status: .badRequest, code: "malformed_body"),
        Case(name: "not JSON", body: "estimate please", status: .badRequest, code: "malformed_body"),
        Case(name: "unsupported protocol version", body: HostileRequestTests.body(versions: [], protocolVersion: "7"), status: .badRequest, code: "unsupported_protocol"),
        Case(name: "cursor chain not hex", body: HostileRequestTests.body(versions: [], cursor: #"{"seq":1,"chain":"xyz"}"#), status: .badRequest, code: "malformed_body"),
        Case(name: "vector with too many entries", body: HostileRequestTests.body(versions: [], vector: HostileRequestTests.manyEntries),
             status: .badRequest, code: "vector_too_large"),
        Case(name: "a push", body: HostileRequestTests.body(versions: [HostileRequestTests.version()]), status: .badRequest, code: "malformed_body"),
        Case(name: "carried signatures", body: HostileRequestTests.body(versions: [], extra: HostileRequestTests.signed("1", "1")),
             status: .badRequest, code: "malformed_body"),
        Case(name: "withdrawn dots", body: HostileRequestTests.body(versions: [], extra: #""withdrawn":[{"replica":"\#(replica)","counter":3}],"#),
             status: .badRequest, code: "malformed_body"),
        Case(name: "another analyst's replica", body: HostileRequestTests.body(versions: [], replica: "\"\(bobsReplica)\""),
             status: .forbidden, code: "replica_not_yours"),
    ]
    static let bobsReplica = "0c0c0c0c-0000-4000-8000-000000000003"

    @Test("a bad estimate request is refused cleanly", arguments: cases)
    func refused(testCase: Case) async throws {
        try await HostileRequestTests.refusedCleanly(testCase, uri: "/v1/estimate") { store in
            // Bob's replica is bound to him by a sync of his
            _ = try await store.exchange(analyst: "bob", requester: ReplicaID(Self.bobsReplica)!, clientVector: VersionVector(), versions: [],
                                         pageLimit: 10, at: 1)
        }
    }

    @Test func aGoodEstimateAnswersThePullAndAWrongTokenIsUnauthorized() async throws {
        for kind in StoreKind.allCases {
            let server = try await kind.server()
            defer { server.close() }
            let store = server.storage
            let token = TokenHasher.makeToken(analyst: "alice")
            try await store.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 1)
            let writer = ReplicaID("0d0d0d0d-0000-4000-8000-000000000004")!
            let versions = (1...3).map { counter in
                Version(dot: Dot(replica: writer, counter: UInt64(counter)), context: VersionVector(), record: RecordID(HostileRequestTests.record)!,
                        kind: "cell", field: "title", value: .text("title \(counter)"), author: "alice", time: Int64(counter))
            }
            _ = try await store.exchange(analyst: "alice", requester: writer, clientVector: VersionVector(), versions: versions, pageLimit: 10, at: 1)
            let before = try await store.canonicalDump()
            let request = SyncRequest(replica: ReplicaID(Self.replica)!, vector: VersionVector(), cursor: .start, versions: [])
            let app = try buildApplication(store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0))
            try await app.test(.router) { client in
                let headers: HTTPFields = [.authorization: "Bearer " + token, .contentType: BinaryWire.contentType]
                try await client.execute(uri: "/v1/estimate", method: .post, headers: headers, body: ByteBuffer(bytes: BinaryWire.encode(request))) { response in
                    #expect(response.status == .ok, "\(kind)")
                    let estimate = try JSONDecoder().decode(EstimateResponse.self, from: Data(response.body.readableBytesView))
                    #expect(estimate.versions == 3 && estimate.answers == 1 && estimate.bytes > 3 * 10, "\(kind): \(estimate)")
                }
                let wrong: HTTPFields = [.authorization: "Bearer " + TokenHasher.makeToken(analyst: "alice"), .contentType: BinaryWire.contentType]
                try await client.execute(uri: "/v1/estimate", method: .post, headers: wrong, body: ByteBuffer(bytes: BinaryWire.encode(request))) { response in
                    #expect(response.status == .unauthorized, "\(kind)")
                }
            }
            #expect(try await store.canonicalDump() == before, "an estimate changed the \(kind) server's state")
        }
    }
}
