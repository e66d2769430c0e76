public import SyncModel

/// The conflicts a replica saw open and saw resolved since the server last acknowledged its
/// report, carried in its sync requests so the server can count open conflicts for operators
/// without merging anything itself.
///
/// Conflict ids are pure functions of the versions (``ConflictID``), so every replica names one
/// conflict alike: the server counts an id once however many replicas report it. A resolved
/// id stays resolved: a new conflict on the same field has other heads, hence another id.
public struct ConflictReport: Sendable, Equatable {
    /// The most ids of each list one request carries; a replica sends the rest in later requests.
    public static let maxIDs = 500

    /// Conflicts seen open on the replica.
    public var opened: [ConflictID]
    /// Conflicts seen resolved on the replica (a conflict it never reported opened included).
    public var resolved: [ConflictID]

    public init(opened: [ConflictID] = [], resolved: [ConflictID] = []) {
        self.opened = opened
        self.resolved = resolved
    }

    /// The report a request carries: none, for a request from a client that sends none.
    public init(_ request: SyncRequest) {
        self.init(opened: request.conflictsOpened ?? [], resolved: request.conflictsResolved ?? [])
    }

    public var isEmpty: Bool { opened.isEmpty && resolved.isEmpty }

    /// Checks a received report's size.
    /// - Throws: ``ConflictReportRefusal`` when a list is over ``maxIDs``.
    public func checked() throws -> ConflictReport {
        for (name, ids) in [("conflictsOpened", opened), ("conflictsResolved", resolved)] where ids.count > Self.maxIDs {
            throw ConflictReportRefusal(description: "the request's \(name) lists \(ids.count) conflict ids; at most \(Self.maxIDs) are accepted per request, so send the rest in the next one")
        }
        return self
    }
}

/// Why the server refused a request's conflict report (400 `malformed_body`); nothing was stored.
public struct ConflictReportRefusal: StorageError, Equatable {
    public var description: String
    public var code: ServerErrorCode? { .malformedBody }
}
