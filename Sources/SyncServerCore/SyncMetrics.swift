import Foundation
import Synchronization
package import CoreMetrics
import SyncProtocol

/// The sync server's own metrics, through swift-metrics (exported by swift-prometheus at
/// `/metrics`, see ``MetricsEndpoint``). No label takes a value that grows with analysts,
/// replicas or records: outcomes and refusal codes are fixed sets, so the series count stays
/// the same however many replicas sync.
package final class SyncMetrics: Sendable {
    let requestsOK, requestsRefused, requestsUnauthorized, requestsFailed: Counter
    let versionsStored, versionsHeld, versionsPulled: Counter
    let bytesIn, bytesOut: Counter
    let feedHead: Gauge
    let lag: Recorder
    let exchangeDuration: CoreMetrics.Timer
    let analysts, replicas: Gauge
    /// Read from the database at each scrape (see ``MetricsEndpoint``): conflicts as replicas
    /// reported them, and bundle applies, which `sync-server bundle apply` counts from a
    /// process of its own.
    let conflictsOpen: Gauge
    let conflictsOpened, bundlesApplied: Counter
    private let factory: any MetricsFactory
    private let refused = Mutex<[String: Counter]>([:])
    private let knownHead = Mutex<UInt64>(0)
    /// Refused bundle applies by reason, and the lock under which scrapes set the figures read
    /// from the database and render them (see ``settingStoreFigures(_:_:render:)``).
    private let bundlesRefused = Mutex<[String: Counter]>([:])

    /// Metrics made by `factory` (the process's bootstrapped one by default: no-ops unless
    /// `--metrics-port` set one up).
    package init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        func requests(_ outcome: String) -> Counter {
            Counter(label: "fieldsync_sync_requests_total", dimensions: [("outcome", outcome)], factory: factory)
        }
        requestsOK = requests("ok")
        requestsRefused = requests("refused")
        requestsUnauthorized = requests("unauthorized")
        requestsFailed = requests("failed")
        versionsStored = Counter(label: "fieldsync_versions_pushed_total", dimensions: [("outcome", "stored")], factory: factory)
        versionsHeld = Counter(label: "fieldsync_versions_pushed_total", dimensions: [("outcome", "already_held")], factory: factory)
        versionsPulled = Counter(label: "fieldsync_versions_pulled_total", factory: factory)
        bytesIn = Counter(label: "fieldsync_sync_bytes_in_total", factory: factory)
        bytesOut = Counter(label: "fieldsync_sync_bytes_out_total", factory: factory)
        feedHead = Gauge(label: "fieldsync_feed_head", factory: factory)
        lag = Recorder(label: "fieldsync_sync_lag_versions", aggregate: true, factory: factory)
        exchangeDuration = CoreMetrics.Timer(label: "fieldsync_store_exchange_seconds", factory: factory)
        analysts = Gauge(label: "fieldsync_analysts", factory: factory)
        replicas = Gauge(label: "fieldsync_replicas", factory: factory)
        conflictsOpen = Gauge(label: "fieldsync_conflicts_open", factory: factory)
        conflictsOpened = Counter(label: "fieldsync_conflicts_opened_total", factory: factory)
        bundlesApplied = Counter(label: "fieldsync_bundle_applies_total", dimensions: [("result", "applied")], factory: factory)
    }

    /// Sets the figures a scrape read from the database, then renders the exposition, both
    /// under one lock: a counter read from the database is set by a reset and an increment,
    /// and a concurrent scrape must see neither half alone. A figure the database could not
    /// give (nil) keeps its last value.
    func settingStoreFigures<T>(_ conflicts: ConflictCounts?, _ bundles: [BundleApplyResult: Int]?, render: () -> T) -> T {
        bundlesRefused.withLock { refused in
            if let conflicts {
                conflictsOpen.record(conflicts.open)
                set(conflictsOpened, to: conflicts.opened)
            }
            if let bundles {
                set(bundlesApplied, to: bundles[.applied] ?? 0)
                for (result, count) in bundles {
                    guard let reason = result.reason?.rawValue else { continue }
                    let counter = refused[reason] ?? Counter(
                        label: "fieldsync_bundle_applies_total", dimensions: [("result", "refused"), ("reason", reason)], factory: factory)
                    refused[reason] = counter
                    set(counter, to: count)
                }
            }
            return render()
        }
    }

    private func set(_ counter: Counter, to value: Int) {
        counter.reset()
        counter.increment(by: value)
    }

    /// Counts `count` pushed versions refused with `code` (a fixed set of codes).
    func refused(_ count: Int, code: ServerErrorCode) {
        guard count > 0 else { return }
        let counter = refused.withLock { counters in
            if let counter = counters[code.description] { return counter }
            let counter = Counter(label: "fieldsync_versions_pushed_total", dimensions: [("outcome", "refused"), ("reason", code.description)], factory: factory)
            counters[code.description] = counter
            return counter
        }
        counter.increment(by: count)
    }

    /// Records an answered pull: the versions sent, and the requester's lag (the feed's head,
    /// as last seen, minus the cursor it came with). `head` is the feed's head when the answer
    /// reached it.
    func pulled(_ count: Int, from cursor: FeedCursor?, reached head: FeedCursor?) {
        versionsPulled.increment(by: count)
        let known = knownHead.withLock { known in
            if let head, head.seq > known { known = head.seq }
            return known
        }
        if head != nil { feedHead.record(Int64(clamping: known)) }
        if let cursor { lag.record(Int64(clamping: known > cursor.seq ? known - cursor.seq : 0)) }
    }
}
