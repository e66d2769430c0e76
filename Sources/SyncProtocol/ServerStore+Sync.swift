public import LocalStore

extension ServerStore {
    /// Serves one sync request as `analyst`, in one transaction: the push is stored and the
    /// answer's page holds the request's page limit (`defaultPageSize` when it names none),
    /// never more than `maxPageSize`.
    /// Throws the store's refusals (``StoreError``) for the caller to map to an answer.
    public func answer(
        _ request: SyncRequest, analyst: String, defaultPageSize: Int, maxPageSize: Int, at time: Int64,
        beforeCommit: @escaping @Sendable () -> Void = {}
    ) async throws -> (response: SyncResponse, report: ApplyReport) {
        let exchange = try await exchange(
            analyst: analyst, requester: request.replica, clientVector: request.vector, cursor: request.cursor,
            versions: request.versions, pageLimit: min(max(request.pageLimit ?? defaultPageSize, 1), maxPageSize), at: time,
            beforeCommit: beforeCommit
        )
        let response = SyncResponse(vector: exchange.vector, versions: exchange.versions, more: exchange.more, cursor: exchange.cursor)
        return (response, exchange.report)
    }
}
