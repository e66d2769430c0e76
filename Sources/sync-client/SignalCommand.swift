import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

struct SignalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signal",
        abstract: "Add, list, show, edit and delete signals.",
        subcommands: [Add.self, List.self, Show.self, Set.self, Delete.self, Restore.self]
    )

    /// Newest first by date, then by title and id, so every replica lists them alike.
    static func sorted(_ signals: [RecordSnapshot]) -> [RecordSnapshot] {
        signals.sorted { lhs, rhs in
            let left = lhs.text("date").flatMap(PartialDate.init), right = rhs.text("date").flatMap(PartialDate.init)
            if left != right {
                guard let left else { return false }
                guard let right else { return true }
                return left > right
            }
            return (lhs.text("title") ?? "", lhs.id) < (rhs.text("title") ?? "", rhs.id)
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a signal to the backlog.",
            discussion: """
                A long body (beyond what a command line holds) comes from a file with --body-file PATH, or from
                standard input with --body-file -.
                Examples:
                  sync-client signal add --title "Board of Peace first meeting" --date 2026-02-18 --cell 20 --cell 18 --direction Advancing --source "White House"
                  sync-client signal add --title "Summit communiqué" --date 2026-03 --cell 20 --body-file communique.txt
                """
        )
        @OptionGroup var options: ReplicaOption
        @Option(help: "What happened.") var title: String
        @Option(help: "When: 2026, 2026-02 or 2026-02-18.") var date: String
        @Option(help: "A cell it touches, by number (repeatable).") var cell: [Int64] = []
        @Option(help: "Advancing, Holding, Drifting or Reversing.") var direction: String?
        @Option(help: "A note on the direction.") var directionNote: String?
        @Option(help: "Where it was reported.") var source: String?
        @Option(help: "The full text.") var body: String?
        @Option(help: ArgumentHelp("Read the full text from a file, or from standard input with -.", valueName: "path")) var bodyFile: String?

        func validate() throws {
            try RecordEdits.requireTitle(title)
            if body != nil && bodyFile != nil { throw ValidationError("give either --body or --body-file, not both") }
        }

        func run() throws {
            let replica = try options.open()
            let added = try RecordEditor.addSignal(replica, fields: [
                ("title", title), ("date", date), ("cells", cell.map(String.init).joined(separator: ",")),
                ("direction", direction), ("directionNote", directionNote), ("source", source), ("body", try bodyFile.map(readText) ?? body),
            ])
            RecordEdits.tell(added.notes)
            print(added.id)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List signals, newest first.",
            discussion: "Filters combine.\nExamples:\n  sync-client signal list --cell 20\n  sync-client signal list --from 2026-02 --to 2026-03-15 --direction Reversing"
        )
        @OptionGroup var options: ReplicaOption
        @OptionGroup var output: JSONFlag
        @Option(help: "Only signals touching this cell number.") var cell: Int64?
        @Option(help: ArgumentHelp("Only signals dated on or after this date (2026, 2026-02 or 2026-02-18).", valueName: "date")) var from: String?
        @Option(help: ArgumentHelp("Only signals dated on or before this date.", valueName: "date")) var to: String?
        @Option(help: ArgumentHelp("Only signals of this direction (Advancing, Holding, Drifting, Reversing).", valueName: "direction")) var direction: String?
        @OptionGroup var history: AsOfOption

        func validate() throws {
            for (flag, text) in [("--from", from), ("--to", to)] {
                if let text, PartialDate(text) == nil { throw ValidationError("\(flag) takes a date like 2026, 2026-02 or 2026-02-18, not '\(text.prefix(40))'") }
            }
            if let direction, case .label(let labels)? = RecordSchema.signal.field("direction")?.valueType, !labels.contains(where: { $0.lowercased() == direction.lowercased() }) {
                throw ValidationError("--direction takes one of \(labels.joined(separator: ", ")), not '\(direction.prefix(40))'")
            }
        }

        func run() throws {
            let replica = try options.open()
            var signals = try CellDirectory(store: replica.store).shown(try history.records(kind: "signal", in: replica.store))
            if let cell { signals = signals.filter { $0.list("cells").contains(String(cell)) } }
            if let direction { signals = signals.filter { $0.text("direction")?.lowercased() == direction.lowercased() } }
            // A signal dated only by month or year is in the range if any of its days are.
            if let from = from.flatMap(PartialDate.init) {
                signals = signals.filter { $0.text("date").flatMap(PartialDate.init).map { !($0.lastDay < from.firstDay) } ?? false }
            }
            if let to = to.flatMap(PartialDate.init) {
                signals = signals.filter { $0.text("date").flatMap(PartialDate.init).map { !(to.lastDay < $0.firstDay) } ?? false }
            }
            signals = SignalCommand.sorted(signals)
            if output.json { return printJSON(signals.map(OutputJSON.Record.init)) }
            if signals.isEmpty { return print("No signals.") }
            let style = TextStyle.forTerminal(now: WallClock.now())
            print(TextOutput.table(["DATE", "TITLE", "DIRECTION", "CELLS", "ID"], signals.map { signal in
                [signal.text("date").map(style.date) ?? "—", signal.text("title") ?? "", signal.text("direction") ?? "—",
                 signal.list("cells").joined(separator: ","), signal.id.short]
            }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a signal.", discussion: "Example: sync-client signal show 3f2a9c1e")
        @OptionGroup var options: ReplicaOption
        @OptionGroup var output: JSONFlag
        @Argument(help: "The signal's id or an id prefix of 4+ characters.") var signal: String

        func run() throws {
            let replica = try options.open()
            let record = try CellDirectory(store: replica.store).shown(try RecordLookup(store: replica.store).signal(signal))
            if output.json { return printJSON(OutputJSON.Record(record)) }
            print(TextOutput.signal(record, style: .forTerminal(now: WallClock.now())), terminator: "")
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set one field of a signal.",
            discussion: FieldHelp.fields(of: .signal) + "\n\nExamples:\n  sync-client signal set 3f2a9c1e direction Holding\n  sync-client signal set 3f2a9c1e cells \"20, 18\""
        )
        @OptionGroup var options: ReplicaOption
        @Argument(help: "The signal's id or id prefix.") var signal: String
        @Argument(help: "The field to set (see the list above).") var field: String
        @Argument(help: "The new value (or use --file).") var value: String?
        @Option(help: "Read the value from a file (for the body).") var file: String?

        func validate() throws { try FieldHelp.requireOneValue(value, file) }

        func run() throws {
            let replica = try options.open()
            let record = try RecordLookup(store: replica.store).signal(signal)
            RecordEdits.tell(try RecordEditor.set(replica, record, field: field, text: try readValue(value: value, file: file)))
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a signal (its history is kept).", discussion: "Example: sync-client signal delete 3f2a9c1e")
        @OptionGroup var options: ReplicaOption
        @Argument(help: "The signal's id or id prefix.") var signal: String

        func run() throws {
            let replica = try options.open()
            let record = try RecordLookup(store: replica.store).signal(signal)
            try RecordEdits.delete(replica, record)
            print("Deleted signal \(record.id.short). Bring it back with `sync-client signal restore \(record.id.short)`.")
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "restore", abstract: "Bring back a deleted signal.", discussion: "Example: sync-client signal restore 3f2a9c1e")
        @OptionGroup var options: ReplicaOption
        @Argument(help: "The signal's id or id prefix.") var signal: String

        func run() throws {
            let replica = try options.open()
            try RecordEdits.restore(replica, try RecordLookup(store: replica.store).signal(signal))
        }
    }
}
