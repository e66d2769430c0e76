import Foundation
import Hummingbird
import Logging
import SyncProtocol

extension SyncController {
    /// `POST /v1/estimate`: what a sync starting with the request's body would pull, counted page
    /// by page as `POST /v1/sync` would answer (versions and the answers' bytes), filtered by the
    /// analyst's clearances as a pull is. Nothing is stored and no replica is bound; the client
    /// sizes its own push. Answered in JSON whatever the request's format.
    func estimate(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let analyst = try await authenticateLogged(request, context, what: "estimate")
        let (message, binary) = try await readSyncRequest(request, context: context)
        let encode = { (answer: SyncResponse) in binary ? BinaryWire.encode(answer) : WireProtocol.encode(answer) }
        // As a sync's answers would travel: gzip for a client that takes it, past the threshold.
        let wire: ((SyncResponse) -> Int)? = Gzip.accepted(by: request.headers[.acceptEncoding]) ? { Gzip.onWire(encode($0)).count } : nil
        do {
            let estimate = try await store.estimate(message, analyst: analyst.name, defaultPageSize: limits.defaultPageSize,
                                                    maxPageSize: limits.maxPageSize, at: now(), encoded: { encode($0).count }, wire: wire)
            context.facts.set("versions_out", String(estimate.versions))
            return jsonResponse(estimate)
        } catch {
            context.logger.notice("estimate refused", metadata: ["analyst": "\(analyst.name)", "reason": "\(error)"])
            throw APIError.from(error)
        }
    }
}
