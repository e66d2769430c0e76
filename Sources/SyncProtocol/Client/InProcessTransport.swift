/// Hands each request straight to a server's storage in this process, through the server's
/// policy, as `POST /v1/sync` would but with no HTTP: for tests, benchmarks and seeding.
public struct InProcessTransport<Storage: ServerStorage>: SyncTransport {
    public let store: Storage
    public let analyst: String
    /// The most versions an answer carries, whatever the request asks for.
    public var pageLimit: Int

    public init(store: Storage, analyst: String, pageLimit: Int = SyncSession.defaultPageSize) {
        self.store = store
        self.analyst = analyst
        self.pageLimit = pageLimit
    }

    public func send(_ request: SyncRequest) async throws -> SyncResponse {
        try await store.answer(request, analyst: analyst, defaultPageSize: pageLimit, maxPageSize: pageLimit, at: 0).response
    }
}
