import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List open conflicts, or show one.",
        discussion: "Examples:\n  sync-client conflicts\n  sync-client conflicts show 1a2b3c4d",
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )

    static func label(_ conflict: Conflict, store: Store) throws -> String {
        let record = try store.record(conflict.record)
        if conflict.kind == "cell", let number = record?.value("number").int { return "cell \(number) (\(conflict.record.short))" }
        if conflict.kind == "signal", let title = record?.text("title") { return "signal '\(title)' (\(conflict.record.short))" }
        return "\(conflict.kind) \(conflict.record.short)"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open conflicts.", discussion: "Example: sync-client conflicts --json")
        @OptionGroup var options: ReplicaOption
        @OptionGroup var output: JSONFlag

        func run() throws {
            let replica = try options.open()
            let conflicts = try replica.store.conflicts()
            if output.json { return printJSON(conflicts.map(OutputJSON.ConflictInfo.init)) }
            if conflicts.isEmpty { return print("No open conflicts.") }
            let rows = try conflicts.map { conflict in
                [conflict.id.rawValue, try ConflictsCommand.label(conflict, store: replica.store), conflict.field,
                 conflict.heads.map(\.author).joined(separator: " vs ")]
            }
            print(TextOutput.table(["ID", "RECORD", "FIELD", "AUTHORS"], rows))
            print("\nInspect one with `sync-client conflicts show ID`; resolve it with `sync-client resolve ID`.")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a conflict: base, each head with author, replica and time.", discussion: "Example: sync-client conflicts show 1a2b3c4d")
        @OptionGroup var options: ReplicaOption
        @OptionGroup var output: JSONFlag
        @Argument(help: "The conflict id or a prefix of it.") var id: String

        func run() throws {
            let replica = try options.open()
            let conflict = try replica.store.conflict(id)
            if output.json { return printJSON(OutputJSON.ConflictInfo(conflict)) }
            let label = try ConflictsCommand.label(conflict, store: replica.store)
            print(TextOutput.conflict(conflict, recordLabel: label, ownReplicas: try replica.ownReplicas()), terminator: "")
        }
    }
}

struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Resolve a conflict with a write that supersedes every head; it syncs like any write.",
        discussion: """
            Examples:
              sync-client resolve 1a2b3c4d --mine
              sync-client resolve 1a2b3c4d --theirs
              sync-client resolve 1a2b3c4d --value "Holding"
            """
    )
    @OptionGroup var options: ReplicaOption
    @Argument(help: "The conflict id or a prefix of it.") var id: String
    @Flag(help: "Keep the value written on this replica.") var mine = false
    @Flag(help: "Keep the value written elsewhere.") var theirs = false
    @Option(help: "Set a new value.") var value: String?
    @Option(help: "Read the new value from a file.") var file: String?

    func validate() throws {
        let choices = [mine, theirs, value != nil, file != nil].filter { $0 }.count
        guard choices == 1 else { throw ValidationError("choose exactly one of --mine, --theirs, --value VALUE or --file PATH") }
    }

    func run() throws {
        let replica = try options.open()
        let conflict = try replica.store.conflict(id)
        let own = try replica.ownReplicas()
        let chosen: FieldValue
        if mine || theirs {
            let side = conflict.heads.filter { own.contains($0.dot.replica) == mine }
            let values = Array(Swift.Set(side.map(\.value)))
            guard let first = values.first else {
                throw ClientError(mine
                    ? "no head of this conflict was written on this replica; use --theirs or --value"
                    : "every head of this conflict was written on this replica; use --mine or --value")
            }
            guard values.count == 1 else {
                throw ClientError("the heads written \(mine ? "here" : "elsewhere") disagree; pick with --value (see `sync-client conflicts show \(conflict.id)`)")
            }
            chosen = first
        } else {
            chosen = try ValueParser.parse(try readValue(value: value, file: file), kind: conflict.kind, field: conflict.field)
        }
        try replica.write([FieldChange(record: conflict.record, kind: conflict.kind, field: conflict.field, value: chosen)], at: WallClock.now())
        print("Resolved conflict \(conflict.id); sync to close it on every replica.")
    }
}
