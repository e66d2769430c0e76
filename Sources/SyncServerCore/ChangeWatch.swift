package import Logging
import ServiceLifecycle
package import SyncProtocol

/// One task per server process that looks at the store's ``ChangeStamp`` every
/// ``ServerLimits/changePollMilliseconds`` and wakes the parked waits when it moved: how a push
/// through another instance on the same PostgreSQL database, or a clearance changed by
/// `sync-server clearance`, reaches this instance's watchers. Each tick also ends the waits
/// whose deadline passed. Its cost does not depend on how many waits are parked.
package struct ChangeWatch: Service {
    let store: any ServerStorage
    let waits: WaitRegistry
    let interval: Duration
    let logger: Logger

    package init(store: any ServerStorage, waits: WaitRegistry, interval: Duration, logger: Logger) {
        self.store = store
        self.waits = waits
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown { await watch() }
        await waits.shutdown()
    }

    private func watch() async {
        var last: ChangeStamp?
        var failing = false
        while !Task.isCancelled {
            do {
                let stamp = try await store.changeStamp()
                if failing { logger.notice("the change watch reads the database again") }
                failing = false
                if let last, last != stamp { await waits.notify() }
                last = stamp
            } catch {
                // Said once; waits still end at their deadline, and pushes here still wake them.
                if !failing { logger.warning("the change watch cannot read the database: \(error)") }
                failing = true
            }
            await waits.expire(now: .now)
            try? await Task.sleep(for: interval)
        }
    }
}
