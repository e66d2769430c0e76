import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the dashboard (or some cells and their signals) as JSON or as Markdown pages.",
        discussion: """
            The file imports back losslessly: export, import into an empty replica, export again gives the same
            records. It carries the causal state it was read at, so that importing it later writes only what was
            edited in the file since, as edits of that state.
            --output writes what the path names: through a symbolic link to its file, into a pipe or device in place;
            a regular file is replaced atomically with its permissions kept.
            Examples:
              sync-client export --output dashboard.json
              sync-client export --cell 20 --cell 17
              sync-client export --format markdown --output dashboard.md
            """
    )
    enum Format: String, ExpressibleByArgument, CaseIterable { case json, markdown }

    @OptionGroup var options: ReplicaOption
    @Option(help: "The file format.") var format: Format = .json
    @Option(help: "Only this cell and the signals that touch it (repeatable).") var cell: [Int64] = []
    @Option(help: "Write to this file instead of standard output.") var output: String?
    @OptionGroup var history: AsOfOption

    func run() throws {
        let replica = try options.open()
        var snapshot = try replica.store.snapshot(kinds: ["cell", "signal"])
        if history.asOf != nil {
            // A view from history: its state is no causal one, so the file carries none.
            snapshot = (["cell": try history.records(kind: "cell", in: replica.store),
                         "signal": try history.records(kind: "signal", in: replica.store)], snapshot.state)
        }
        // References by number, as people read them; import maps them back to the cells.
        let directory = try CellDirectory(store: replica.store)
        var cells = directory.shown(snapshot.records["cell"] ?? [])
        var signals = SignalCommand.sorted(directory.shown(snapshot.records["signal"] ?? []))
        if !cell.isEmpty {
            let wanted = Set(cell)
            let known = Set(cells.compactMap { $0.value("number").int })
            if let missing = cell.first(where: { !known.contains($0) }) {
                throw ClientError("no cell numbered \(missing) in this replica; list cells with `sync-client cell list`")
            }
            cells = cells.filter { $0.value("number").int.map(wanted.contains) ?? false }
            let numbers = Set(wanted.map(String.init))
            signals = signals.filter { !numbers.isDisjoint(with: $0.list("cells")) }
        }
        let text = format == .json
            ? DashboardFile.export(cells: cells, signals: signals, state: history.asOf == nil ? snapshot.state : nil)
            : MarkdownDashboard.export(cells: cells, signals: signals, state: history.asOf == nil ? snapshot.state : nil)
        guard let output else { return FileHandle.standardOutput.write(Data(text.utf8)) }
        try OutputFile.write(Data(text.utf8), to: output)
        FileHandle.standardError.write(Data("Exported \(cells.count) cells and \(signals.count) signals to \(output)\n".utf8))
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a dashboard file (JSON or Markdown, as export writes them): one transaction, all or nothing.",
        discussion: """
            A file from export carries the state it was read at: only fields edited in the file since are written, each
            as an edit of that state, so an unchanged file writes nothing and a hand edit merges with (or, where others
            changed the same field since, is in conflict with) what the team wrote meanwhile; a field that already
            holds the file's value is not written again, so a second import of the same file writes nothing. A replica
            that does not hold that state yet is told to sync first; with --as-own-edits (and by itself when the
            replica holds nothing yet) it writes the file's values as its own edits instead. A file without a state
            (written by hand, or by an older version) is written over what this replica holds now, with a warning.
            Records keep their ids; a new cell in Markdown may leave out its id line.
            A malformed file is refused with the line and what was expected, and nothing is imported.
            Examples:
              sync-client import Examples/sample-dashboard.json
              sync-client import dashboard.md --dry-run
              sync-client import handed-over.json --as-own-edits
            """
    )
    @OptionGroup var options: ReplicaOption
    @Argument(help: "The file to import.") var file: String
    @Flag(help: "Show what would be written, and write nothing.") var dryRun = false
    @Flag(help: "When this replica lacks the state the file was exported at, write the file's values as its own edits instead of refusing.")
    var asOwnEdits = false

    func run() throws {
        let replica = try options.open()
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ClientError("cannot read \(file); check the path and its permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ClientError("\(file) is not UTF-8 text; nothing was imported") }
        let contents: DashboardFile.Contents
        let plan: ImportPlan
        do {
            let firstLine = text.split(separator: "\n").first { !$0.allSatisfy(\.isWhitespace) } ?? ""
            if firstLine.hasPrefix("{") {
                contents = try DashboardFile.read(text)
            } else if MarkdownDashboard.isMarker(firstLine) {
                contents = try MarkdownDashboard.read(text)
            } else {
                throw ImportError(line: 1, "expected a JSON dashboard (starting with '{') or a Markdown one (starting with \(MarkdownDashboard.markerPrefix) -->)")
            }
            plan = try ImportPlan.make(for: contents, in: replica.store, asOwnEdits: asOwnEdits)
        } catch let error as ImportError {
            throw ClientError("\(file), \(error)")
        } catch let error as ImportPlan.StateMissing {
            throw ClientError("cannot import \(file): \(error)")
        }
        if plan.stateSetAside && !plan.changes.isEmpty {
            FileHandle.standardError.write(Data("""
                note: this replica does not hold the state \(file) was exported at, so its values are written as this \
                replica's own edits, concurrent with anything the team wrote that this replica has not seen.\n
                """.utf8))
        } else if !plan.basedOnState && !plan.changes.isEmpty {
            FileHandle.standardError.write(Data("""
                warning: \(file) carries no export state (written by hand, or by an older version): its changes are written \
                over what this replica holds now, concurrent with anything the team wrote that this replica has not seen. \
                Sync first to keep such conflicts few.\n
                """.utf8))
        }
        let touched = Set(plan.changes.map(\.record)).count
        if dryRun {
            let labels = Dictionary(contents.records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for change in plan.changes {
                let number = labels[change.record]?.fields["number"]?.int
                let label = change.kind == "cell" && number != nil ? "cell \(number!)" : "\(change.kind) \(change.record.short)"
                print("would write \(label) \(change.field)")
            }
            print("Dry run of \(file): \(contents.records.count) records read, \(touched) would be created or changed, \(plan.changes.count) field writes; nothing was written.")
            return
        }
        if !plan.changes.isEmpty { try replica.write(plan.changes, basedOn: plan.states, at: WallClock.now()) }
        print("Imported \(file): \(contents.records.count) records read, \(touched) created or changed, \(plan.changes.count) field writes.")
    }
}
