import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What changed in a cell or signal between two points of its history, offline.",
        discussion: """
            A point is a date (2026-02-18, 2026-02, 2026: the end of it, UTC), a moment (2026-02-18T09:30:00Z) or a
            version as `log` prints it (3c776e85:4). --from defaults to the beginning, --to to now. Prose and lists
            show as unified diffs, other fields as old → new.
            Examples:
              sync-client diff 20 --from 2026-02
              sync-client diff 20 assessment --from 3c776e85:4 --to 2026-03-01
            """
    )
    @OptionGroup var options: ReplicaOption
    @Argument(help: "A cell number, or a cell or signal id (prefix).") var record: String
    @Argument(help: "Only this field.") var field: String?
    @Option(help: ArgumentHelp("From this point (default: the beginning).", valueName: "date|version")) var from: String?
    @Option(help: ArgumentHelp("To this point (default: now).", valueName: "date|version")) var to: String?
    @OptionGroup var output: JSONFlag

    func run() throws {
        let replica = try options.open()
        try noteHistoryArriving(replica.store)
        let store = replica.store
        let found = try RecordLookup(store: store).any(record)
        let schema = SchemaRegistry.standard[found.kind]!
        if let field { try FieldNames.check(field, kind: found.kind) }
        let start = try from.map { try HistoryPoint.time($0, in: store) } ?? Int64.min
        let end = try to.map { try HistoryPoint.time($0, in: store) } ?? Int64.max
        guard start <= end else { throw ClientError("--from is after --to; swap them") }
        let cells = try CellDirectory(store: store)
        let before = try start == .min ? nil : store.record(found.id, asOf: start).map(cells.shown)
        let after = try store.record(found.id, asOf: end).map(cells.shown)
        var lines: [String] = []
        var changes: [OutputJSON.Change] = []
        for name in schema.fieldNames where field == nil || field == name {
            let old = before?.fields[name]?.value ?? schema.field(name)!.emptyValue
            let new = after?.fields[name]?.value ?? schema.field(name)!.emptyValue
            guard old != new else { continue }
            let kind = schema.field(name)!.kind
            if kind == .prose || kind == .list {
                let diff = UnifiedDiff.render(from: TextOutput.editableLines(old), to: TextOutput.editableLines(new),
                                              fromLabel: "\(name) \(from ?? "(beginning)")", toLabel: "\(name) \(to ?? "now")")
                lines.append(diff.map { String($0.dropLast()) } ?? "\(name): the two texts differ too much to diff line by line")
                changes.append(OutputJSON.Change(field: name, old: old, new: new, diff: diff))
            } else {
                lines.append("\(name): \(Self.inline(old)) → \(Self.inline(new))")
                changes.append(OutputJSON.Change(field: name, old: old, new: new, diff: nil))
            }
        }
        let deletion = (before?.deleted ?? false) == (after?.deleted ?? false) ? nil : after?.deleted == true ? "deleted" : "restored"
        if output.json {
            return printJSON(OutputJSON.Diff(record: found.id.rawValue, kind: found.kind, from: from, to: to, changes: changes, deletion: deletion))
        }
        if let deletion { lines.append("(\(deletion))") }
        print(lines.isEmpty ? "No changes between those points." : lines.joined(separator: "\n"))
    }

    static func inline(_ value: FieldValue) -> String {
        switch value {
        case .null: return "(unset)"
        case .text(let text): return "'\(text)'"
        case .list(let items): return items.isEmpty ? "(none)" : items.joined(separator: ", ")
        default: return value.summary
        }
    }
}
