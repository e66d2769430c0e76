public import Foundation
public import SyncModel

/// The wire protocol's version, carried in every message. Peers refuse any other.
public enum WireProtocol {
    /// 2 added feed cursors (``FeedCursor``) to requests and answers.
    public static let version = ToolVersion.protocolVersion
    /// The media type of every request and response body.
    public static let contentType = "application/json"

    /// The encoder for every message: sorted keys, so equal messages are equal bytes.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func encode(_ message: some Encodable) -> Data {
        // Every message type is plain data: encoding cannot fail.
        try! encoder().encode(message)
    }
}

/// `POST /v1/sync` body: where the client stands and versions the server may lack.
public struct SyncRequest: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// The replica making the request.
    public var replica: ReplicaID
    /// Without a cursor, every version the client holds is covered by this vector. With one,
    /// only the client's own replicas appear: the server leaves them out of the page.
    public var vector: VersionVector
    /// The feed position the client's last complete pull reached; the page continues from it.
    public var cursor: FeedCursor?
    /// Versions the client pushes, each replica's in counter order.
    public var versions: [Version]
    /// The most versions the client wants back in this answer.
    public var pageLimit: Int?
    /// The most bytes of versions (as ``PageBudget`` counts them) the client wants back in this
    /// answer, so that one answer fits the time it gives a request on its link; the server
    /// takes the smaller of this and ``PageBudget/syncBytes``. Absent: the server's bound alone.
    public var pageBytes: Int?
    /// The requesting replica's public signing key (32 bytes), bound to it by the server at
    /// its first sync; later requests must carry the same key or none.
    public var publicKey: Data?
    /// Signatures of other replicas over the pushed versions the client carries on their
    /// authors' behalf (see ``SignedRange``): each range's versions are all in `versions`.
    public var signatures: [SignedRange]?
    /// Conflicts the requesting replica saw open since the server last acknowledged its report
    /// (see ``ConflictReport``; at most ``ConflictReport/maxIDs``). Absent from older clients.
    public var conflictsOpened: [ConflictID]?
    /// Conflicts the requesting replica saw resolved since then, at most ``ConflictReport/maxIDs``.
    public var conflictsResolved: [ConflictID]?

    /// How far the client has followed its analyst's clearances and the records' placements;
    /// a client that sends one is answered what changed since (``SyncResponse/access``) and
    /// the compartments of the records in its pages.
    public var access: AccessCursor?
    /// The compartment of each new record the push makes outside the analyst's default one.
    public var homes: [Placement]?
    /// Asks for the history of newly readable records instead of the feed's next page.
    public var backfill: Backfill?
    /// Dots of this analyst's replicas set aside when a clearance went, never to be sent: the
    /// server's counters pass over them.
    public var withdrawn: [Dot]?
    /// Asks for a page of the current state instead of the feed (a shallow join).
    public var shallow: ShallowRequest?

    public init(
        replica: ReplicaID, vector: VersionVector, cursor: FeedCursor? = nil, versions: [Version], pageLimit: Int? = nil,
        publicKey: Data? = nil, signatures: [SignedRange]? = nil, conflicts: ConflictReport = ConflictReport(),
        access: AccessCursor? = nil, homes: [Placement]? = nil, backfill: Backfill? = nil, withdrawn: [Dot]? = nil,
        shallow: ShallowRequest? = nil, pageBytes: Int? = nil, protocolVersion: Int = WireProtocol.version
    ) {
        self.protocolVersion = protocolVersion
        self.replica = replica
        self.vector = vector
        self.cursor = cursor
        self.versions = versions
        self.pageLimit = pageLimit
        self.pageBytes = pageBytes
        self.publicKey = publicKey
        self.signatures = signatures?.isEmpty == true ? nil : signatures
        self.access = access
        self.homes = homes?.isEmpty == true ? nil : homes
        self.backfill = backfill
        self.withdrawn = withdrawn?.isEmpty == true ? nil : withdrawn
        self.shallow = shallow
        self.conflicts = conflicts
    }

    /// The request's conflict report; an empty one is sent as no keys at all, so a request
    /// without one is the same bytes as before reports existed.
    public var conflicts: ConflictReport {
        get { ConflictReport(self) }
        set {
            conflictsOpened = newValue.opened.isEmpty ? nil : newValue.opened
            conflictsResolved = newValue.resolved.isEmpty ? nil : newValue.resolved
        }
    }
}

/// `POST /v1/sync` answer: the server's counters for the replicas the request named (after
/// storing the push), a page of versions the client lacks, and the feed position the page
/// reaches. `more` says another request will bring more. An answer to a request with a cursor
/// that carries none means the server refused the cursor: send the whole vector instead.
public struct SyncResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var vector: VersionVector
    public var versions: [Version]
    public var more: Bool
    public var cursor: FeedCursor?
    /// What changed in the analyst's access since the request's cursor; only for a request
    /// that carried one, and nil when nothing did.
    public var access: AccessUpdate?
    /// The compartments of the page's records that are not in the default compartment alone;
    /// only for a request that carried an access cursor.
    public var compartments: [Placement]?
    /// For a backfill request, the feed position its page reached (`more` says whether the
    /// backfill goes on); the answer's `cursor` is then nil and the client's own stays.
    public var backfilled: UInt64?
    /// For a shallow request, where its page stands; the answer's `cursor` is then nil.
    public var shallow: ShallowAnswer?

    public init(
        vector: VersionVector, versions: [Version], more: Bool, cursor: FeedCursor? = nil, access: AccessUpdate? = nil,
        compartments: [Placement]? = nil, backfilled: UInt64? = nil, shallow: ShallowAnswer? = nil,
        protocolVersion: Int = WireProtocol.version
    ) {
        self.protocolVersion = protocolVersion
        self.vector = vector
        self.versions = versions
        self.more = more
        self.cursor = cursor
        self.access = access
        self.compartments = compartments?.isEmpty == true ? nil : compartments
        self.backfilled = backfilled
        self.shallow = shallow
    }
}

/// Every error answer: a stable machine code and a sentence a person can act on.
public struct ErrorResponse: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: ServerErrorCode
        public var message: String
        /// For a push refused as outside the analyst's clearances, the records it wrote there.
        public var records: [RecordID]?
    }

    public var protocolVersion: Int
    public var error: Detail

    public init(code: ServerErrorCode, message: String, records: [RecordID]? = nil) {
        protocolVersion = WireProtocol.version
        error = Detail(code: code, message: message, records: records)
    }
}

/// `GET /v1/health` answer.
public struct HealthResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var status: String

    public init(status: String = "ok") {
        protocolVersion = WireProtocol.version
        self.status = status
    }
}
