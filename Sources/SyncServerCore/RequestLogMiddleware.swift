import Foundation
import HTTPTypes
package import Hummingbird
import Logging
import NIOCore

/// One log line per request, at info: its id, method, path, status, duration, the client's
/// address, and what the handler recorded (analyst, versions in and out, why a 401 was
/// answered). Headers and bodies are never logged, so neither are tokens nor version contents.
package struct RequestLogMiddleware: RouterMiddleware {
    package typealias Context = SyncRequestContext

    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            var response = try await next(request, context)
            response.headers[Self.requestID] = context.facts.id
            log(request, context, status: response.status.code, since: started)
            return response
        } catch {
            log(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
            throw error
        }
    }

    static let requestID = HTTPField.Name("X-Request-Id")!

    private func log(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        // Tenths of a millisecond, by integer arithmetic: Foundation's String(format:) costs
        // about as much as the rest of this line's formatting.
        let tenths = elapsed.components.seconds * 10_000 + (elapsed.components.attoseconds + 50_000_000_000_000) / 100_000_000_000_000
        var metadata = context.facts.metadata
        metadata["request_id"] = .string(context.facts.id)
        metadata["method"] = .string(request.method.rawValue)
        metadata["route"] = .string(String(request.uri.path.prefix(100)))
        metadata["status"] = .string(String(status))
        metadata["duration_ms"] = .string("\(tenths / 10).\(tenths % 10)")
        metadata["client"] = .string(context.remoteAddress.map(Self.address) ?? "-")
        context.logger.info("request", metadata: metadata)
    }

    /// `IP:PORT` of a socket address.
    private static func address(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress else { return "\(address)" }
        return address.port.map { "\(ip):\($0)" } ?? ip
    }
}
