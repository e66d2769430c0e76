import Foundation

/// Sends each request through `base`, and sends it again when the link drops after the server
/// has answered once through this transport.
///
/// Every sync request is idempotent (see ``SyncSession``), so a request whose answer was lost
/// can be sent again unchanged. Only failures of the link are retried: the server unreachable,
/// or a gateway in front of it answering 502, 503 or 504. A refusal (4xx) never is, and
/// neither is a failure of the first request: a sync started offline still fails at once.
public struct RetryingTransport<Base: SyncTransport>: SyncTransport {
    public let base: Base
    /// The wait before each retry, in order; its count is how many retries a request gets.
    public let delays: [Duration]
    private let sleep: @Sendable (Duration) async throws -> Void
    private let onRetry: @Sendable (Retry) -> Void
    private let answered = AnsweredFlag()

    /// What a retry is about to do, for the user to see.
    public struct Retry: Sendable, Equatable {
        /// 1 for the first retry of a request.
        public var number: Int
        /// How many retries a request gets.
        public var total: Int
        public var delay: Duration
        public var error: SyncError

        public init(number: Int, total: Int, delay: Duration, error: SyncError) {
            self.number = number
            self.total = total
            self.delay = delay
            self.error = error
        }
    }

    /// `retries` waits of 1, 2, 4 and then 8 seconds each.
    public static func backoff(retries: Int) -> [Duration] {
        (0..<max(0, retries)).map { .seconds(1 << min($0, 3)) }
    }

    public init(
        _ base: Base, delays: [Duration],
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        onRetry: @escaping @Sendable (Retry) -> Void = { _ in }
    ) {
        self.base = base
        self.delays = delays
        self.sleep = sleep
        self.onRetry = onRetry
    }

    public func send(_ request: SyncRequest) async throws -> SyncResponse {
        var retries = 0
        while true {
            do {
                let response = try await base.send(request)
                answered.set()
                return response
            } catch let error as SyncError where retries < delays.count && answered.isSet && Self.isLinkFailure(error) {
                retries += 1
                onRetry(Retry(number: retries, total: delays.count, delay: delays[retries - 1], error: error))
                try await sleep(delays[retries - 1])
            }
        }
    }

    static func isLinkFailure(_ error: SyncError) -> Bool {
        switch error {
        case .unreachable: return true
        case .server(let status, _, _): return [502, 503, 504].contains(status)
        default: return false
        }
    }
}

/// Whether the server has answered once; shared by the copies of one transport.
private final class AnsweredFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }

    func set() { lock.withLock { value = true } }
}
