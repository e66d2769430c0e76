public import SyncModel

/// How far a client has followed its analyst's access: the version of their clearances and the
/// last placement (a record moved, or a signal gaining a compartment) it has taken in.
public struct AccessCursor: Codable, Sendable, Hashable {
    /// Bumped by the server each time the analyst's clearances change, and for every analyst
    /// when anyone's do (see ``AccessUpdate/colleagues``).
    public var clearances: UInt64
    /// The server's placement log position.
    public var placements: UInt64

    public init(clearances: UInt64 = 0, placements: UInt64 = 0) {
        self.clearances = clearances
        self.placements = placements
    }

    /// A client that has learnt nothing yet.
    public static let start = AccessCursor()
}

/// A record whose compartments changed after the client's access cursor, and which its analyst
/// could read before or can read now: `compartments` is nil when they may no longer read it
/// (the client removes it), else the record's compartments now (a record newly readable is
/// brought with its whole history).
public struct Placement: Codable, Sendable, Hashable {
    public var record: RecordID
    public var compartments: [String]?

    public init(record: RecordID, compartments: [String]?) {
        self.record = record
        self.compartments = compartments
    }
}

/// What changed in an analyst's access since the cursor a request carried: their clearances
/// when these changed, and placements (at most a page; `more` says the next answer brings more).
public struct AccessUpdate: Codable, Sendable, Equatable {
    public var cursor: AccessCursor
    /// Every clearance the analyst holds now; nil when unchanged since the request's cursor.
    public var clearances: [Clearance]?
    /// The compartment the analyst's new records go to when a push names none, sent with the
    /// clearances.
    public var home: String?
    /// What each active analyst of the team may read among the compartments this analyst reads
    /// (theirs included), sent with the clearances once a compartment besides the default
    /// exists: what a bundle made for a colleague is filtered by. Any clearance change sends it
    /// to every analyst.
    public var colleagues: [String: [String]]?
    public var placements: [Placement]
    public var more: Bool

    public init(
        cursor: AccessCursor, clearances: [Clearance]?, home: String? = nil, colleagues: [String: [String]]? = nil,
        placements: [Placement] = [], more: Bool = false
    ) {
        self.cursor = cursor
        self.clearances = clearances
        self.home = home
        self.colleagues = colleagues
        self.placements = placements
        self.more = more
    }
}

/// The compartments of records in an answer's page that are not in the default compartment
/// alone, so that a replica knows what to remove when a clearance goes.
public typealias RecordCompartments = [RecordID: [String]]

/// A request for the whole history of records the analyst has just been cleared to read (a
/// grant, or a record moved in): every version of the records in `compartments` and of
/// `records`, in feed order after position `after`, whatever the client's feed cursor.
public struct Backfill: Codable, Sendable, Hashable {
    public var compartments: [String]
    public var records: [RecordID]
    /// The feed position the backfill has reached (0 at its start).
    public var after: UInt64

    public init(compartments: [String], records: [RecordID], after: UInt64 = 0) {
        self.compartments = compartments
        self.records = records
        self.after = after
    }
}

/// `POST /v1/move` body: move a cell to another compartment. The analyst must be cleared to
/// write both; replicas learn it as a placement at their next sync.
public struct MoveRequest: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    public var record: RecordID
    public var compartment: String

    public init(record: RecordID, compartment: String) {
        protocolVersion = WireProtocol.version
        self.record = record
        self.compartment = compartment
    }
}
