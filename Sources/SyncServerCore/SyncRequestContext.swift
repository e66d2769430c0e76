import Foundation
package import Hummingbird
package import Logging
package import NIOCore

/// Each request's context: Hummingbird's, plus the client's address and the facts the request
/// log line reports (``RequestFacts``), which the handlers fill in.
package struct SyncRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The connected client's address (the proxy's, behind a proxy).
    package let remoteAddress: SocketAddress?
    /// Shared by the handler and the log middleware, which reads it once the answer is made.
    package let facts = RequestFacts()

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// What a handler learned about its request, for the one log line each request gets: never a
/// token, a secret or a version's content.
package final class RequestFacts: @unchecked Sendable {
    private let lock = NSLock()
    private var values: Logger.Metadata = [:]

    /// A short random id, in the log line and the answer's `X-Request-Id` header, so an error a
    /// person reports can be found in the log.
    package let id = String(UInt64.random(in: 0...UInt64.max), radix: 16)

    package init() {}

    /// Adds `value` under `key` (e.g. `analyst`, `versions_in`, `reason`).
    package func set(_ key: String, _ value: String) {
        lock.withLock { values[key] = .string(value) }
    }

    /// Everything set so far.
    package var metadata: Logger.Metadata { lock.withLock { values } }
}
