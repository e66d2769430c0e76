package import Hummingbird
import CoreMetrics
package import Prometheus
package import SyncProtocol

/// `GET /metrics` in Prometheus' text format, on a listener of its own (never the analysts'
/// port). The analyst and replica counts, conflicts as replicas reported them and bundle
/// applies by result are read from the store at each scrape (each from a count the store
/// keeps, not from a scan of its rows).
package struct MetricsEndpoint: Sendable {
    package let registry: PrometheusCollectorRegistry
    package let store: any ServerStorage
    package let metrics: SyncMetrics

    package init(registry: PrometheusCollectorRegistry, store: any ServerStorage, metrics: SyncMetrics) {
        self.registry = registry
        self.store = store
        self.metrics = metrics
    }

    /// The metrics listener's application.
    package func application(host: String, port: Int, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in try await scrape() }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "sync-server-metrics"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) }
        )
    }

    /// The exposition, after refreshing the gauges read from the store.
    package func scrape() async throws -> Response {
        if let analysts = try? await store.analysts() { metrics.analysts.record(analysts.count) }
        if let replicas = try? await store.replicaBindings() { metrics.replicas.record(replicas.count) }
        let conflicts = try? await store.conflictCounts(), bundles = try? await store.bundleApplies()
        let exposition = metrics.settingStoreFigures(conflicts, bundles) { registry.emitToBuffer() }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: exposition)))
    }
}
