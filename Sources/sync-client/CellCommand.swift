import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol

struct CellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cell",
        abstract: "Create, list, show, edit and delete cells.",
        subcommands: [Create.self, List.self, Show.self, Set.self, Delete.self, Restore.self, CellMove.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a cell.",
            discussion: """
                Example: sync-client cell create --number 20 --title "Burden-Sharing & Alliance Architecture" \\
                           --field tier="Tier 3 — Multi-Theater Projection" --field trajectory=Advancing
                """
        )
        @OptionGroup var options: ReplicaOption
        @Option(help: "The cell's number, unique on the dashboard.") var number: Int64
        @Option(help: "The cell's title.") var title: String
        @Option(name: .customLong("field"), help: ArgumentHelp("Another field, as NAME=VALUE (repeatable).", valueName: "name=value"))
        var fields: [String] = []
        @Option(help: ArgumentHelp("The compartment the cell goes to (default: the one the server's admin set for you, else 'default'); only analysts cleared for it receive it.", valueName: "name"))
        var compartment: String?

        func validate() throws {
            try RecordEdits.requireTitle(title)
            if let compartment {
                do { _ = try Compartment.checkName(compartment) } catch { throw ValidationError("\(error)") }
            }
        }

        func run() throws {
            let replica = try options.open()
            if (try? RecordLookup(store: replica.store).cell(String(number))) != nil {
                throw ClientError("a cell numbered \(number) already exists; pick another number or edit it with `sync-client cell set \(number) FIELD VALUE`")
            }
            let id = RecordID.random()
            if let compartment {
                let clearances = try replica.clearances()
                // Known only after a sync; before one, the server decides at the push.
                if !clearances.isEmpty, clearances.first(where: { $0.compartment == compartment })?.write != true {
                    throw ClientError("you are not cleared to write compartment '\(compartment)' (as of your last sync: \(clearances.map { "\($0.compartment) \($0.level)" }.joined(separator: ", "))); choose one of those, or ask the server's admin")
                }
            }
            var changes = [
                FieldChange(record: id, kind: "cell", field: "number", value: .int(number)),
                FieldChange(record: id, kind: "cell", field: "title", value: try ValueParser.parse(title, kind: "cell", field: "title")),
            ]
            for assignment in fields {
                guard let equals = assignment.firstIndex(of: "=") else {
                    throw ValidationError("--field takes NAME=VALUE, got '\(assignment.prefix(40))'")
                }
                let name = String(assignment[..<equals])
                guard name != "number", name != "title" else { throw ValidationError("set \(name) with --\(name), not --field") }
                let value = try ValueParser.parse(String(assignment[assignment.index(after: equals)...]), kind: "cell", field: name)
                changes.append(FieldChange(record: id, kind: "cell", field: name, value: value))
            }
            try replica.placeNewRecord(id, in: compartment)
            try RecordEdits.write(replica, changes)
            print(id)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List cells by number.", discussion: "Example: sync-client cell list --json")
        @OptionGroup var options: ReplicaOption
        @OptionGroup var output: JSONFlag

        func run() throws {
            let replica = try options.open()
            let directory = try CellDirectory(store: replica.store)
            let cells = directory.shown(try replica.store.records(kind: "cell")).sorted {
                ($0.value("number").int ?? .max, $0.id) < ($1.value("number").int ?? .max, $1.id)
            }
            if output.json { return printJSON(cells.map(OutputJSON.Record.init)) }
            if cells.isEmpty { return print("No cells yet. Create one with `sync-client cell create --number N --title T`.") }
            print(TextOutput.table(["NUMBER", "TITLE", "TRAJECTORY", "LAST ASSESSED", "CONFLICTS", "ID"], cells.map { cell in
                [cell.value("number").int.map(String.init) ?? "—", cell.text("title") ?? "", cell.text("trajectory") ?? "—",
                 cell.text("lastAssessed") ?? "—", String(cell.conflicts.count), cell.id.short]
            }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a cell like its dashboard page.",
                                                        discussion: "Examples:\n  sync-client cell show 20\n  sync-client cell show 20 --as-of 2026-02-18")
        @OptionGroup var options: ReplicaOption
        @OptionGroup var output: JSONFlag
        @OptionGroup var history: AsOfOption
        @Argument(help: "The cell's number or id.") var cell: String

        func run() throws {
            let replica = try options.open()
            let cells = try CellDirectory(store: replica.store)
            let record = cells.shown(try history.cell(cell, in: replica.store))
            if output.json { return printJSON(OutputJSON.Record(record)) }
            let number = record.value("number").int.map(String.init) ?? ""
            let signals = cells.shown(try history.signalSummaries(in: replica.store)).filter { $0.list("cells").contains(number) }
            print(TextOutput.cell(record, signals: SignalCommand.sorted(signals), style: .forTerminal(now: WallClock.now())), terminator: "")
            let compartments = try replica.compartments(of: record.id)
            if compartments != [Compartment.defaultName] { print("Compartment: \(compartments.joined(separator: ", "))") }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set one field of a cell.",
            discussion: """
                \(FieldHelp.fields(of: .cell))

                Lists take one item per line; relatedCells takes numbers ("16, 17, 18"). An empty VALUE clears, except a title.
                Examples:
                  sync-client cell set 20 trajectory Holding
                  sync-client cell set 20 assessment --file assessment.txt
                """
        )
        @OptionGroup var options: ReplicaOption
        @Argument(help: "The cell's number or id.") var cell: String
        @Argument(help: "The field to set (see the list above).") var field: String
        @Argument(help: "The new value (or use --file).") var value: String?
        @Option(help: "Read the value from a file (for prose).") var file: String?

        func validate() throws { try FieldHelp.requireOneValue(value, file) }

        func run() throws {
            let replica = try options.open()
            let record = try RecordLookup(store: replica.store).cell(cell)
            RecordEdits.tell(try RecordEditor.set(replica, record, field: field, text: try readValue(value: value, file: file)))
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a cell (its history is kept).", discussion: "Example: sync-client cell delete 20")
        @OptionGroup var options: ReplicaOption
        @Argument(help: "The cell's number or id.") var cell: String

        func run() throws {
            let replica = try options.open()
            let record = try RecordLookup(store: replica.store).cell(cell)
            try RecordEdits.delete(replica, record)
            print("Deleted cell \(record.value("number").int.map(String.init) ?? record.id.short). Bring it back with `sync-client cell restore \(record.id.short)`.")
        }
    }

    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore", abstract: "Bring back a deleted cell, with its fields as they were.",
            discussion: "A deleted cell answers to its id; its number works while no live cell has it.\nExample: sync-client cell restore 1a2b3c4d"
        )
        @OptionGroup var options: ReplicaOption
        @Argument(help: "The deleted cell's id (or number).") var cell: String

        func run() throws {
            let replica = try options.open()
            let lookup = RecordLookup(store: replica.store)
            let record: RecordSnapshot
            if let number = Int64(cell), try replica.store.cellIDs(number: number).isEmpty,
               let deleted = try replica.store.cellIDs(number: number, includeDeleted: true).first, let found = try replica.store.record(deleted) {
                record = found
            } else {
                record = try lookup.cell(cell, includeDeleted: true)
            }
            try RecordEdits.restore(replica, record)
        }
    }
}

/// The value of a `set` command: the argument or the file, exactly one of them.
func readValue(value: String?, file: String?) throws -> String {
    switch (value, file) {
    case (let value?, nil):
        return value
    case (nil, let file?):
        return try readText(file)
    case (nil, nil):
        throw ValidationError("give the new VALUE, or --file PATH")
    case (.some, .some):
        throw ValidationError("give either VALUE or --file, not both")
    }
}

/// The text of `file`, or of standard input for `-` (a value too long for the command line),
/// without the one final newline an editor adds.
func readText(_ file: String) throws -> String {
    let data: Data
    if file == "-" {
        data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
        guard let contents = FileManager.default.contents(atPath: file) else {
            throw ClientError("cannot read \(file); check the path and its permissions")
        }
        data = contents
    }
    let name = file == "-" ? "standard input" : file
    guard let text = String(data: data, encoding: .utf8) else { throw ClientError("\(name) is not UTF-8 text") }
    return text.hasSuffix("\n") ? String(text.dropLast()) : text
}
