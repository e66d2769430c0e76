import Foundation
import Hummingbird
import ServiceLifecycle
import SyncProtocol

/// `POST /v1/wait`: a watching replica's long poll (see ``WaitRegistry``).
extension SyncController {
    /// The largest wait body accepted: a replica id and two cursors fit in a few hundred bytes.
    static let maxWaitBodyBytes = 4096

    func wait(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let analyst = try await authenticate(request, context)
        context.facts.set("analyst", analyst.name)
        let message = try await decodeJSONBody(WaitRequest.self, of: request, upTo: Self.maxWaitBodyBytes, what: "wait request",
                                               tooLarge: "a wait request is a replica id and two cursors; this one is over \(Self.maxWaitBodyBytes) bytes")
        guard message.protocolVersion == WireProtocol.version else {
            throw APIError(.unsupportedProtocol, "this server speaks protocol version \(WireProtocol.version), the request uses \(message.protocolVersion); upgrade the older side")
        }
        if let seconds = message.seconds, seconds < 1 {
            throw APIError(.malformedBody, "a wait's seconds must be at least 1 (the server holds it at most \(limits.maxWaitSeconds))")
        }
        let seconds = min(message.seconds ?? limits.maxWaitSeconds, limits.maxWaitSeconds)
        let ticket = try await waits.admit(analyst: analyst.name)
        let changed: Bool
        do {
            // A graceful shutdown ends the wait at once, answered like one that ran out.
            changed = try await withGracefulShutdownHandler {
                try await waitForChange(message, analyst: analyst.name, ticket: ticket, deadline: .now + .seconds(seconds))
            } onGracefulShutdown: { [waits] in
                Task { await waits.shutdown() }
            }
        } catch {
            await waits.release(ticket)
            if let refusal = error as? WaitRefusal {
                context.facts.set("reason", "unknown cursor")
                throw APIError(refusal.code, refusal.description)
            }
            throw APIError.from(error)
        }
        await waits.release(ticket)
        context.facts.set("changed", String(changed))
        return jsonResponse(WaitResponse(changed: changed))
    }

    /// Looks at the store, then parks until something is notified, and again, until a look
    /// finds something for the analyst (true) or the wait ends (false).
    private func waitForChange(_ message: WaitRequest, analyst: String, ticket: WaitRegistry.Ticket,
                               deadline: ContinuousClock.Instant) async throws -> Bool {
        var cursor = message.cursor
        var access = message.access
        while true {
            // Read before the look: a commit notified during it makes the park return at once.
            let seen = await waits.generation
            let probe = try await store.probeWait(analyst: analyst, replica: message.replica, cursor: cursor, access: access, at: now())
            if probe.changed { return true }
            (cursor, access) = (probe.cursor, probe.access)
            let wake = await withTaskCancellationHandler {
                await waits.park(ticket, after: seen, until: deadline)
            } onCancel: { [waits] in
                Task { await waits.cancel(ticket) }
            }
            guard wake == .notified else { return false }
        }
    }
}
