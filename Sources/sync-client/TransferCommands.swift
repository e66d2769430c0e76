import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the dashboard (or some cells and their signals) as JSON or as Markdown pages.",
        discussion: """
            The file imports back losslessly: export, import into an empty replica, export again gives the same bytes.
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

    func run() throws {
        let replica = try options.open()
        var cells = try replica.store.records(kind: "cell")
        var signals = SignalCommand.sorted(try replica.store.records(kind: "signal"))
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
            ? DashboardFile.export(cells: cells, signals: signals)
            : MarkdownDashboard.export(cells: cells, signals: signals)
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
            Records keep their ids; only fields whose value differs are written, so re-importing changes nothing.
            A malformed file is refused with the line and what was expected, and nothing is imported.
            Example: sync-client import Examples/sample-dashboard.json
            """
    )
    @OptionGroup var options: ReplicaOption
    @Argument(help: "The file to import.") var file: String

    func run() throws {
        let replica = try options.open()
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ClientError("cannot read \(file); check the path and its permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ClientError("\(file) is not UTF-8 text; nothing was imported") }
        let records: [DashboardFile.ImportedRecord]
        let changes: [FieldChange]
        do {
            let firstLine = text.split(separator: "\n").first { !$0.allSatisfy(\.isWhitespace) } ?? ""
            if firstLine.hasPrefix("{") {
                records = try DashboardFile.parse(text)
            } else if firstLine == Substring(MarkdownDashboard.marker) {
                records = try MarkdownDashboard.parse(text)
            } else {
                throw ImportError(line: 1, "expected a JSON dashboard (starting with '{') or a Markdown one (starting with \(MarkdownDashboard.marker))")
            }
            changes = try DashboardFile.changes(for: records, in: replica.store)
        } catch let error as ImportError {
            throw ClientError("\(file), \(error)")
        }
        if !changes.isEmpty { try replica.write(changes, at: WallClock.now()) }
        let touched = Set(changes.map(\.record)).count
        print("Imported \(file): \(records.count) records read, \(touched) created or changed, \(changes.count) field writes.")
    }
}
