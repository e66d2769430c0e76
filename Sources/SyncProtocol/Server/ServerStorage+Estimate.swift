import SyncModel

/// `POST /v1/estimate` answer: what the pull of a sync starting with the request would bring,
/// counted page by page as the server would answer it, with nothing stored.
public struct EstimateResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// Versions the pull would bring, filtered by the analyst's clearances as a pull is.
    public var versions: Int
    /// Answers carrying them (one page each; at least one, which may be empty).
    public var answers: Int
    /// The bytes of those answers' bodies, in the format the request was sent in.
    public var bytes: Int
    /// The bytes of an answer with no versions: what each further answer of the sync costs
    /// (one to each push the pull has no page left for).
    public var emptyAnswerBytes: Int
    /// ``bytes`` and ``emptyAnswerBytes`` as they would travel gzipped where the server
    /// compresses them (the request accepted gzip); absent when it would not.
    public var wireBytes: Int?
    public var emptyAnswerWireBytes: Int?
    /// The server does not honour the request's feed cursor (it was restored from a backup, or
    /// is another server): a sync would compare whole vectors, which an estimate cannot size.
    public var cursorRefused: Bool

    public init(versions: Int, answers: Int, bytes: Int, emptyAnswerBytes: Int, cursorRefused: Bool = false) {
        protocolVersion = WireProtocol.version
        self.versions = versions
        self.answers = answers
        self.bytes = bytes
        self.emptyAnswerBytes = emptyAnswerBytes
        self.cursorRefused = cursorRefused
    }
}

/// Why an estimate request was refused (400, nothing read or stored): it asks for more than
/// the start of a sync.
public struct EstimateRefusal: StorageError, Equatable, Sendable {
    public var description: String
    public var code: ServerErrorCode? { .malformedBody }
}

extension ServerStorage {
    /// What the pull of a sync starting with `request` would bring `analyst`, read page by page
    /// as ``exchange(analyst:requester:clientVector:cursor:versions:signatures:publicKey:conflicts:access:homes:backfill:withdrawn:shallow:pageLimit:at:)``
    /// reads it, through the same ``perform(_:ownership:)`` with a work that stores nothing:
    /// no versions, no replica to bind or record, no report. Each page's size is `encoded` of
    /// the answer it would be, and `wire` of it as it would travel (compressed), when given.
    /// The whole backlog is read, as the sync would read it.
    /// - Throws: ``EstimateRefusal`` for a request that pushes versions or asks for a backfill;
    ///   ``ExchangeRefusal/replicaOwnedByOther(replica:owner:)`` for another analyst's replica.
    public func estimate(
        _ request: SyncRequest, analyst: String, defaultPageSize: Int, maxPageSize: Int, at time: Int64,
        encoded: (SyncResponse) -> Int, wire: ((SyncResponse) -> Int)? = nil
    ) async throws -> EstimateResponse {
        guard request.versions.isEmpty, request.signatures?.isEmpty ?? true else {
            throw EstimateRefusal(description: "an estimate pushes nothing: send the request a sync would start with, without versions or signatures (the client sizes its own push)")
        }
        guard request.backfill == nil, request.shallow == nil, request.withdrawn?.isEmpty ?? true, request.homes?.isEmpty ?? true else {
            throw EstimateRefusal(description: "an estimate sizes a sync's pull only: leave out backfill, shallow, withdrawn and homes")
        }
        // As a sync would be, a request from another analyst's replica is refused (403); read
        // before any page, so nothing is bound by asking.
        if let owner = try await replicaBindings()[request.replica]?.analyst, owner != analyst {
            throw ExchangeRefusal.replicaOwnedByOther(replica: request.replica, owner: owner)
        }
        let limit = min(max(request.pageLimit ?? defaultPageSize, 1), maxPageSize)
        var counted = Set(request.vector.replicas)
        counted.insert(request.replica)
        var vector = request.vector
        var cursor = request.cursor
        var estimate = EstimateResponse(versions: 0, answers: 0, bytes: 0, emptyAnswerBytes: 0)
        if wire != nil { (estimate.wireBytes, estimate.emptyAnswerWireBytes) = (0, 0) }
        while true {
            let start: PageQuery.Start = cursor.map { .feed(after: $0, skipping: counted) } ?? .notCoveredBy(vector)
            let work = ExchangeWork(analyst: analyst, claimed: [], versions: try check([]), counted: counted,
                                    page: PageQuery(start, limit: limit, budget: .answering(request.pageBytes)), time: time)
            let stored = try await perform(work, ownership: { _ in })
            guard let page = stored.page else {
                estimate.cursorRefused = true
                return estimate
            }
            let answer = SyncResponse(vector: stored.vector, versions: page.versions, more: page.more, cursor: page.cursor,
                                      compartments: request.access == nil ? nil : page.compartments)
            estimate.versions += page.versions.count
            estimate.answers += 1
            estimate.bytes += encoded(answer)
            if let wire { estimate.wireBytes? += wire(answer) }
            if estimate.emptyAnswerBytes == 0 || !page.more {
                let empty = SyncResponse(vector: stored.vector, versions: [], more: false, cursor: page.cursor ?? cursor)
                estimate.emptyAnswerBytes = encoded(empty)
                if let wire { estimate.emptyAnswerWireBytes = wire(empty) }
            }
            guard page.more else { return estimate }
            if cursor != nil {
                cursor = page.cursor
            } else {
                for version in page.versions where version.dot.counter > vector[version.dot.replica] { vector[version.dot.replica] = version.dot.counter }
            }
        }
    }
}
