public import SyncModel

extension SyncSession {
    /// What ``SyncDriver`` is to do next; each event method of ``SyncSession`` returns one.
    public enum Action: Sendable, Equatable {
        /// Send the request; hand its answer to ``SyncSession/received(_:ownCounters:)``, or its
        /// failure to ``SyncSession/failed(_:)``.
        case send(SyncRequest)
        /// Send the request, then store the last answer's page with this update while it travels
        /// (the request does not depend on the page) and hand the report to
        /// ``SyncSession/stored(_:)`` before awaiting the answer.
        case sendThenStore(SyncRequest, PageUpdate)
        /// Store the last answer's page with this update, in one transaction; hand the report to
        /// ``SyncSession/stored(_:)``.
        case store(PageUpdate)
        /// Read this replica's next push (``SyncReplica/outgoing(acknowledged:limit:ownOnly:budget:)``)
        /// and hand it to ``SyncSession/pushRead(vector:versions:)``.
        case readPush(PushQuery)
        /// Read what this replica carries for others (``SyncReplica/carried(limit:budget:excluding:)``)
        /// and hand it to ``SyncSession/carriedRead(_:)``.
        case readCarried(CarriedQuery)
        /// The last request was refused and changed nothing on the server: record the refused
        /// carried range if there is one (``SyncReplica/noteRefused(_:permanently:)``), then read
        /// the next, smaller push as ``readPush(_:)`` does.
        case retry(PushQuery, refused: RefusedRange?)
        /// The server refused the push as writing where the analyst may not: set aside this
        /// replica's unsent writes of these records (``SyncReplica/setAside(_:)``), then read
        /// the push again without them.
        case setAside([RecordID], PushQuery)
        /// Await the answer to the request in flight.
        case awaitAnswer
        /// The sync is complete: nothing is left to push and the server has nothing more waiting.
        case finished
    }

    /// What the next push reads: this replica's own versions that `acknowledged` does not cover,
    /// at most `limit` within `budget`, with the vector to send (own counters only when `ownOnly`).
    public struct PushQuery: Sendable, Equatable {
        public var acknowledged: VersionVector
        public var limit: Int
        public var ownOnly: Bool
        public var budget: PageBudget

        public init(acknowledged: VersionVector, limit: Int, ownOnly: Bool, budget: PageBudget) {
            self.acknowledged = acknowledged
            self.limit = limit
            self.ownOnly = ownOnly
            self.budget = budget
        }
    }

    /// What a carried push reads: at most `limit` versions within `budget`, as whole signed
    /// ranges, leaving out the ranges already sent in this session.
    public struct CarriedQuery: Sendable, Equatable {
        public var limit: Int
        public var budget: PageBudget
        public var excluding: Set<SignedRange>

        public init(limit: Int, budget: PageBudget, excluding: Set<SignedRange>) {
            self.limit = limit
            self.budget = budget
            self.excluding = excluding
        }
    }

    /// What to store with an accepted answer's versions, in one transaction.
    public struct PageUpdate: Sendable, Equatable {
        /// The server's counters for this replica's own ids, as acknowledged.
        public var serverVector: VersionVector
        public var cursor: CursorChange
        /// Carried ranges the server took with this answer.
        public var delivered: [SignedRange]
        /// What the answer said of access.
        public var access: ReceivedAccess

        public init(serverVector: VersionVector, cursor: CursorChange, delivered: [SignedRange] = [], access: ReceivedAccess = .none) {
            self.serverVector = serverVector
            self.cursor = cursor
            self.delivered = delivered
            self.access = access
        }
    }

    /// A carried range the server refused, and why.
    public struct RefusedRange: Sendable, Equatable {
        public var range: SignedRange
        public var code: ServerErrorCode
        public var message: String
        /// Whether it may pass later (its author has not synced yet), so it stays to carry.
        public var mayPassLater: Bool { code == .unknownKey }

        public init(range: SignedRange, code: ServerErrorCode, message: String) {
            self.range = range
            self.code = code
            self.message = message
        }
    }

    /// An event the session cannot take in the state it is in: the driver called it out of
    /// order. Nothing was sent or stored because of it.
    public struct OutOfOrder: Error, Equatable, Sendable, CustomStringConvertible {
        /// The event, as "an answer" or "a push read".
        public var event: String
        /// The state the session was in.
        public var state: String

        public var description: String {
            "the sync session was given \(event) while \(state); this is a fault in the sync driver, not in the data: sync again, and report it if it persists"
        }
    }
}
