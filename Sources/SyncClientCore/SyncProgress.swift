package import SyncHTTP
package import SyncProtocol

/// What a sync in progress reports, as it happens, for a person watching: each page, and each
/// request sent again after the link dropped.
package enum SyncProgress: Sendable, Equatable {
    /// A page was stored (with `derivingFields`, a first sync derives its field states).
    case page(SyncStats)
    /// The link dropped after the server had answered once: the request goes again after a wait.
    case retrying(RetryingTransport<HTTPTransport>.Retry)

    /// The event as one line of text, without a line break.
    package var line: String {
        switch self {
        case .page(let stats):
            let step = stats.derivingFields ? ", deriving field states" : "   "
            return "syncing: page \(stats.requests), sent \(stats.sent), received \(stats.received)\(step)"
        case .retrying(let retry):
            let reason: String
            switch retry.error {
            case .unreachable(_, let why): reason = why
            case .server(let status, let code, _): reason = "\(status) \(code)"
            default: reason = retry.error.description
            }
            return "the connection to the server dropped (\(reason)); sending the request again in \(retry.delay.components.seconds) s (retry \(retry.number) of \(retry.total))"
        }
    }
}
