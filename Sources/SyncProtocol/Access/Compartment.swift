public import SyncModel

/// A compartment: a named part of the dashboard that analysts are cleared for. Every record
/// is in one (a signal may be in several, see ``AccessRules``); a team that never makes one
/// has every record in ``defaultName``, and every analyst cleared to write it.
public enum Compartment {
    /// The compartment every server has, and every analyst is cleared for when made.
    public static let defaultName = "default"
    /// Its row id in every server store.
    public static let defaultID: Int64 = 1
    /// The longest name accepted, in characters.
    public static let maxNameLength = 40

    /// `name` when it is a valid compartment name: 1 to 40 lowercase letters, digits and
    /// hyphens, starting with a letter (so it reads the same in a shell, a URL and a log).
    public static func checkName(_ name: String) throws -> String {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, ("a"..."z").contains(first), scalars.count <= maxNameLength,
              scalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw CompartmentError.invalidName(String(name.prefix(60)))
        }
        return name
    }
}

/// An analyst's clearance for one compartment: to read it, or to read and write it.
public struct Clearance: Codable, Sendable, Hashable, Comparable {
    public var compartment: String
    public var write: Bool

    public init(compartment: String, write: Bool) {
        self.compartment = compartment
        self.write = write
    }

    public static func < (lhs: Clearance, rhs: Clearance) -> Bool { lhs.compartment < rhs.compartment }

    /// "read" or "read and write".
    public var level: String { write ? "read and write" : "read" }
}

/// One analyst's clearance for one compartment, as the server's admin lists them.
public struct ClearanceEntry: Sendable, Equatable {
    public var analyst: String
    public var clearance: Clearance

    public init(analyst: String, clearance: Clearance) {
        self.analyst = analyst
        self.clearance = clearance
    }
}

/// Why a change to compartments or clearances was refused; nothing changed.
public enum CompartmentError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidName(String)
    case exists(String)
    case notFound(String)
    /// The record to move is not held by the server.
    case recordNotFound(RecordID)
    /// A move needs write clearance for both compartments.
    case moveNotCleared(record: RecordID, compartment: String)
    /// Only cells move between compartments; a signal's follow its cells.
    case notACell(RecordID)
    /// This store does not keep compartments (yet): said, never pretended.
    case unsupported(String)

    /// How the server answers it when a request meets it.
    public var code: ServerErrorCode {
        switch self {
        case .invalidName, .notACell, .exists: return .malformedBody
        case .notFound: return .unknownCompartment
        case .recordNotFound: return .malformedBody
        case .moveNotCleared: return .notCleared
        case .unsupported: return .internalError
        }
    }

    public var description: String {
        switch self {
        case .invalidName(let name):
            return "'\(name)' is not a compartment name: use 1 to \(Compartment.maxNameLength) lowercase letters, digits and hyphens, starting with a letter (for example indo-pacific)"
        case .exists(let name):
            return "a compartment named '\(name)' already exists; list them with `sync-server compartment list`"
        case .notFound(let name):
            return "no compartment named '\(name)'; make it with `sync-server compartment add \(name)` or list them with `sync-server compartment list`"
        case .recordNotFound(let record):
            return "the server holds no record \(record); sync the replica that made it first, then move it"
        case .moveNotCleared(let record, let compartment):
            return "moving \(record) needs write clearance for both compartments, and you have none for '\(compartment)'; ask the server's admin"
        case .notACell(let record):
            return "\(record) is a signal: a signal's compartments follow the cells it is tagged to; move those cells instead"
        case .unsupported(let what):
            return what
        }
    }
}

extension CompartmentError {
    /// The refusal of a store that keeps every record in the default compartment.
    public static func onlyDefault(store: String) -> CompartmentError {
        .unsupported("the \(store) store keeps every record in the default compartment and every analyst cleared for it; compartments and clearances are kept by the SQLite and PostgreSQL stores")
    }
}
