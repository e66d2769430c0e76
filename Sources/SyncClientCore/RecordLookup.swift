public import LocalStore
import SyncModel

/// Finds the record a person names: a cell by number or id, a signal by id or id prefix.
public struct RecordLookup: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// A cell by its number (among live cells) or by its id or an id prefix of 4+ characters.
    public func cell(_ reference: String, includeDeleted: Bool = false) throws -> RecordSnapshot {
        if let number = Int64(reference) {
            let matches = try store.cellIDs(number: number, includeDeleted: includeDeleted).compactMap { try store.record($0) }
            guard let first = matches.first else {
                throw ClientError("no cell numbered \(number) in this replica; list cells with `sync-client cell list`")
            }
            if matches.count > 1 {
                throw ClientError("several cells are numbered \(number) (\(matches.map(\.id.short).joined(separator: ", "))); name one by its id")
            }
            return first
        }
        return try byID(reference, kind: "cell")
    }

    /// A signal by its id or an id prefix of 4+ characters.
    public func signal(_ reference: String) throws -> RecordSnapshot {
        try byID(reference, kind: "signal")
    }

    /// A cell by number, or any record by id or id prefix.
    public func any(_ reference: String) throws -> RecordSnapshot {
        if Int64(reference) != nil { return try cell(reference, includeDeleted: true) }
        return try byID(reference, kind: nil)
    }

    func byID(_ reference: String, kind: String?) throws -> RecordSnapshot {
        let ids = try store.recordIDs(prefix: reference, kind: kind)
        let noun = kind ?? "record"
        guard let first = ids.first, let record = try store.record(first) else {
            throw ClientError("no \(noun) with id '\(reference.prefix(40))' in this replica; list them with `sync-client \(kind ?? "cell") list`")
        }
        if ids.count > 1 {
            throw ClientError("'\(reference)' matches several \(noun)s (\(ids.map(\.short).joined(separator: ", "))); give more of the id")
        }
        return record
    }
}
