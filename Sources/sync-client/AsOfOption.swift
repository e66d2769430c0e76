import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

/// `--as-of`: a view of the replica as it stood at a point of its history, from the versions.
struct AsOfOption: ParsableArguments {
    @Option(help: ArgumentHelp("Show it as it stood then: a date (2026-02-18, 2026-02, 2026), a moment (2026-02-18T09:30:00Z) or a version (replica:counter).",
                               valueName: "date|version"))
    var asOf: String?

    /// The live records of `kind`, now or at the point asked for.
    func records(kind: String, in store: Store) throws -> [RecordSnapshot] {
        guard let asOf else { return try store.records(kind: kind) }
        try noteHistoryArriving(store)
        return try store.records(kind: kind, asOf: try HistoryPoint.time(asOf, in: store))
    }

    /// The live signals with what lists show (no body: see ``SignalSummary``), now or at the
    /// point asked for.
    func signalSummaries(in store: Store) throws -> [RecordSnapshot] {
        guard asOf != nil else { return try SignalSummary.signals(in: store) }
        return try records(kind: "signal", in: store)
    }

    /// The cell a person names, now (see ``RecordLookup``) or among the cells live at that point.
    func cell(_ reference: String, in store: Store) throws -> RecordSnapshot {
        let lookup = RecordLookup(store: store)
        guard let asOf else { return try lookup.cell(reference, includeDeleted: true) }
        try noteHistoryArriving(store)
        // The cell that answers now, as it stood then; else, among the cells of then.
        if let now = try? lookup.cell(reference, includeDeleted: true),
           let then = try store.record(now.id, asOf: try HistoryPoint.time(asOf, in: store)), !then.deleted,
           Int64(reference).map({ then.value("number").int == $0 }) ?? true {
            return then
        }
        let cells = try records(kind: "cell", in: store)
        let matches = Int64(reference).map { number in cells.filter { $0.value("number").int == number } } ?? []
        let chosen = matches.isEmpty && reference.count >= 4 ? cells.filter { $0.id.rawValue.hasPrefix(reference.lowercased()) } : matches
        guard let first = chosen.first else { throw ClientError("no live cell '\(reference)' at \(asOf); list them with `sync-client dashboard --as-of \(asOf)`") }
        guard chosen.count == 1 else { throw ClientError("'\(reference)' named several cells at \(asOf) (\(chosen.map(\.id.short).joined(separator: ", "))); name one by its id") }
        return first
    }
}

/// Says on standard error, before a command shows history, that a shallow join's history is
/// still arriving (standard output stays what `--json` promises).
func noteHistoryArriving(_ store: Store) throws {
    if let note = try HistoryArriving.note(store) { FileHandle.standardError.write(Data("\(note)\n".utf8)) }
}
