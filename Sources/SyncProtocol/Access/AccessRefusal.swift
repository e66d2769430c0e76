public import SyncModel

/// Why the server refused to store a push as outside the pusher's write clearances (403);
/// nothing was stored.
public enum AccessRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// Records the analyst wrote (or tagged a signal to, or placed) in compartments they may not
    /// write, or that do not exist; only compartments they read are named.
    case notCleared(analyst: String, records: [RecordID], compartments: [String])
    /// A refusal of either kind as a client receives it: the server's code, sentence and records.
    case answered(code: ServerErrorCode, message: String, records: [RecordID])

    public var code: ServerErrorCode {
        switch self {
        case .notCleared: return .notCleared
        case .answered(let code, _, _): return code
        }
    }

    /// The records whose writes the server would not take.
    public var records: [RecordID] {
        switch self {
        case .notCleared(_, let records, _), .answered(_, _, let records): return records
        }
    }

    public var description: String {
        switch self {
        case .notCleared(let analyst, let records, let compartments):
            let shown = records.prefix(5).map(\.description).joined(separator: ", ") + (records.count > 5 ? " and \(records.count - 5) more" : "")
            let names = compartments.isEmpty ? "a compartment they are not cleared for" : "compartment " + compartments.map { "'\($0)'" }.joined(separator: ", ") + " (or it does not exist)"
            return "\(analyst) is not cleared to write \(names), which the push writes (records \(shown)); nothing was stored. Sync again to set those writes aside, or ask the server's admin for write clearance."
        case .answered(_, let message, _):
            return message
        }
    }
}

/// A request's `homes` entry that does not place exactly one record of its push in one
/// compartment (400).
public struct HomeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var record: RecordID

    public init(record: RecordID) {
        self.record = record
    }

    public var code: ServerErrorCode { .malformedBody }

    public var description: String {
        "the request's homes name \(record) wrongly: each must name one compartment for a record the push writes, once"
    }
}
