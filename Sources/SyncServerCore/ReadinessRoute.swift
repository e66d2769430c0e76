import Foundation
package import Hummingbird
import Logging
import SyncProtocol

/// `GET /v1/ready`: whether this instance can serve syncs now, for a load balancer that routes
/// around an instance whose database is unreachable. Public like `/v1/health`, which stays
/// cheap and says only that the process answers; this one asks the database, with a short
/// deadline of the check's own, so an unreachable database is reported at once, not after the
/// 30 s a sync would wait.
package struct ReadinessRoute: Sendable {
    /// Throws a sentence when the database cannot be reached.
    package let check: @Sendable () async throws -> Void

    package init(check: @escaping @Sendable () async throws -> Void) {
        self.check = check
    }

    package func register(on router: Router<SyncRequestContext>) {
        router.get("/v1/ready") { _, context in
            do {
                try await check()
                return jsonResponse(HealthResponse(status: "ready"))
            } catch {
                context.logger.warning("not ready: \(error)")
                throw APIError(.storeUnavailable, "not ready: \(error)")
            }
        }
    }
}
