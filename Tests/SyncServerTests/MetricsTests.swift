import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStore
import Prometheus
import SyncModel
import SyncProtocol
import SyncServerCore
import Testing
import TestSupport

/// The sync metrics through swift-prometheus: figures that match what happened, and a series
/// count that does not grow with replicas (no label takes an analyst's or replica's value).
@Suite struct MetricsTests {
    /// Each of `replicas` new replicas (of analysts `writer0`…) pushes two versions in one sync.
    static func sync(replicas range: Range<Int>, app: some ApplicationProtocol, store: MemoryServerStorage) async throws {
        try await app.test(.router) { client in
            for index in range {
                let name = "writer\(index)"
                let token = TokenHasher.makeToken(analyst: name)
                try store.addAnalyst(name: name, tokenHash: TokenHasher.hash(token), at: 1)
                let replica = try Replica.inMemory(analyst: name)
                let versions = try replica.write([
                    FieldChange(record: RecordID.random(), kind: "cell", field: "title", value: .text("cell \(index)")),
                    FieldChange(record: RecordID.random(), kind: "cell", field: "title", value: .text("other \(index)")),
                ], at: 1)
                let request = SyncRequest(replica: replica.id, vector: VersionVector(), cursor: .start, versions: versions, pageLimit: 1000)
                var headers = HTTPFields()
                headers[.authorization] = "Bearer " + token
                headers[.contentType] = WireProtocol.contentType
                try await client.execute(uri: "/v1/sync", method: .post, headers: headers, body: ByteBuffer(bytes: WireProtocol.encode(request))) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    /// The exposition's samples, by series (name with labels).
    static func samples(_ registry: PrometheusCollectorRegistry) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in registry.emitToString().split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            result[String(line[..<space])] = value
        }
        return result
    }

    @Test func theSeriesCountStaysTheSameFromTenReplicasToAHundredAndTheFiguresAddUp() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = SyncMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let store = MemoryServerStorage()
        let app = try buildApplication(store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, metrics: metrics))
        try await Self.sync(replicas: 0..<10, app: app, store: store)
        let afterTen = Self.samples(registry)
        try await Self.sync(replicas: 10..<100, app: app, store: store)
        let afterHundred = Self.samples(registry)
        #expect(afterTen.count == afterHundred.count, "series: \(afterTen.count) after 10 replicas, \(afterHundred.count) after 100")
        #expect(Set(afterTen.keys) == Set(afterHundred.keys))
        #expect(afterHundred[#"fieldsync_versions_pushed_total{outcome="stored"}"#] == 200)
        #expect(afterHundred[#"fieldsync_sync_requests_total{outcome="ok"}"#] == 100)
        #expect(afterHundred["fieldsync_sync_lag_versions_count"] == 100, "each request came with a cursor")
        // Each replica's own versions are skipped: replica i pulls the 2·i versions before it.
        #expect(afterHundred["fieldsync_versions_pulled_total"] == Double((0..<100).reduce(0) { $0 + 2 * $1 }))
        #expect(afterHundred["fieldsync_feed_head"] == 200)
        #expect((afterHundred["fieldsync_sync_bytes_in_total"] ?? 0) > 0 && (afterHundred["fieldsync_sync_bytes_out_total"] ?? 0) > 0)
        #expect(!registry.emitToString().contains("writer"), "no analyst's name in any label")
    }
}
