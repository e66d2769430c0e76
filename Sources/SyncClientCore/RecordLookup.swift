package import LocalStore
import Foundation
import SyncModel

/// Finds the record a person names: a cell by number or id, a signal by id or id prefix.
package struct RecordLookup: Sendable {
    package let store: Store

    package init(store: Store) { self.store = store }

    /// A cell by its number (among live cells) or by its id or an id prefix of 4+ characters.
    package func cell(_ reference: String, includeDeleted: Bool = false) throws -> RecordSnapshot {
        try numberOrID(reference, kind: "cell", includeDeleted: includeDeleted)
    }

    /// A signal by its id or an id prefix of 4+ characters.
    package func signal(_ reference: String) throws -> RecordSnapshot {
        try byID(reference, kind: "signal")
    }

    /// A cell by number, or any record by id or id prefix.
    package func any(_ reference: String) throws -> RecordSnapshot {
        try numberOrID(reference, kind: nil, includeDeleted: true)
    }

    /// A reference made only of digits is a cell number when a cell has that number; otherwise,
    /// from 4 characters on, an id prefix (ids are hexadecimal, and some are all digits). When
    /// it is both, the cell number wins and ``notes`` says so.
    private func numberOrID(_ reference: String, kind: String?, includeDeleted: Bool) throws -> RecordSnapshot {
        guard let number = Int64(reference), reference.allSatisfy(\.isASCII) else { return try byID(reference, kind: kind) }
        // Only live cells answer to their number: a deleted cell's number may be a new cell's.
        let cells = try store.cellIDs(number: number).compactMap { try store.record($0) }
        let ids = reference.count >= 4 ? try store.recordIDs(prefix: reference, kind: kind) : []
        guard let first = cells.first else {
            if !ids.isEmpty { return try byID(reference, kind: kind) }
            if includeDeleted, let deleted = try store.cellIDs(number: number, includeDeleted: true).first {
                throw ClientError("no live cell numbered \(number); a deleted cell had that number: name it by its id, \(deleted.short)")
            }
            throw ClientError("no cell numbered \(number) in this replica; list cells with `sync-client cell list`")
        }
        if cells.count > 1 {
            throw ClientError("several cells are numbered \(number) (\(cells.map(\.id.short).joined(separator: ", "))), a conflict listed by `sync-client conflicts`; name one by its id")
        }
        if let other = ids.first(where: { $0 != first.id }) {
            FileHandleNotes.emit("note: '\(reference)' is cell \(number) and also the start of the id \(other.short); took cell \(number). Give the id with a letter or more of its digits for the other record")
        }
        return first
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

/// Notes a lookup prints for a person on standard error, apart from the command's output.
enum FileHandleNotes {
    static func emit(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
