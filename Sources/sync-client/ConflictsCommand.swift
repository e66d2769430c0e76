import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List open conflicts, show one, or resolve one.",
        discussion: "Examples:\n  sync-client conflicts\n  sync-client conflicts show 1a2b3c4d\n  sync-client conflicts resolve 1a2b3c4d --theirs   # the same as sync-client resolve",
        // `resolve` is also a command of its own (`sync-client resolve ID`); both paths are one command.
        subcommands: [List.self, Show.self, ResolveCommand.self],
        defaultSubcommand: List.self
    )

    static func label(_ conflict: Conflict, store: Store) throws -> String {
        if conflict.isSharedNumber {
            return "cells \(conflict.records.map(\.short).joined(separator: ", ")) (each numbered \(conflict.provisional.int.map(String.init) ?? "?"))"
        }
        let record = try store.record(conflict.record)
        if conflict.kind == "cell", let number = record?.value("number").int { return "cell \(number) (\(conflict.record.short))" }
        if conflict.kind == "signal", let title = record?.text("title") { return "signal '\(title)' (\(conflict.record.short))" }
        return "\(conflict.kind) \(conflict.record.short)"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List open conflicts.", discussion: "Example: sync-client conflicts --json")
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
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a conflict: base, each head with author, replica and time.", discussion: "Example: sync-client conflicts show 1a2b3c4d")
        @OptionGroup var options: ReplicaOption
        @OptionGroup var output: JSONFlag
        @Argument(help: "The conflict id or a prefix of it.") var id: String

        func run() throws {
            let replica = try options.open()
            let conflict = try replica.store.conflict(id)
            if output.json { return printJSON(OutputJSON.ConflictInfo(conflict)) }
            let label = try ConflictsCommand.label(conflict, store: replica.store)
            print(TextOutput.conflict(conflict, recordLabel: label, ownReplicas: try replica.ownReplicas(), style: .forTerminal(now: WallClock.now())), terminator: "")
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
              sync-client resolve 1a2b3c4d --edit          # $EDITOR on the text with conflict markers
              sync-client resolve 1a2b3c4d --file merged.txt
              sync-client resolve 1a2b3c4d --keep          # a record deleted on one side, edited on the other
            """
    )
    @OptionGroup var options: ReplicaOption
    @Argument(help: "The conflict id or a prefix of it.") var id: String
    @Flag(help: "Keep the value written on this replica.") var mine = false
    @Flag(help: "Keep the value written elsewhere.") var theirs = false
    @Option(help: "Set a new value.") var value: String?
    @Option(help: "Read the new value from a file.") var file: String?
    @Flag(help: "Edit the text with diff3-style markers in $EDITOR; refused while markers remain.") var edit = false
    @Flag(help: "Keep a record that was deleted while edited elsewhere.") var keep = false
    @Flag(help: "Delete a record that was edited while deleted elsewhere.") var delete = false

    func validate() throws {
        let choices = [mine, theirs, value != nil, file != nil, edit, keep, delete].filter { $0 }.count
        guard choices == 1 else {
            throw ValidationError("choose exactly one of --mine, --theirs, --value VALUE, --file PATH, --edit, --keep or --delete")
        }
    }

    func run() throws {
        let replica = try options.open()
        let conflict = try replica.store.conflict(id)
        if conflict.isSharedNumber {
            let first = conflict.records[0].short
            throw ClientError("conflict \(conflict.id) is \(conflict.records.count) cells sharing the number \(conflict.provisional.int.map(String.init) ?? "?"); "
                + "settle it by renumbering one (sync-client cell set \(first) number N) or deleting one (sync-client cell delete \(first))")
        }
        let own = try replica.ownReplicas()
        let isDeletion = conflict.field == RecordSchema.deletedFieldName
        let chosen: FieldValue
        if keep || delete {
            guard isDeletion else { throw ClientError("--keep and --delete resolve a deleted-while-edited record; this conflict is on '\(conflict.field)'") }
            chosen = .bool(delete)
        } else if isDeletion {
            guard mine || theirs else { throw ClientError("this record was deleted on one side and edited on the other: resolve it with --keep or --delete") }
            // As for other conflicts, --mine and --theirs must each name one side.
            chosen = .bool(try agreed(conflict, own: own, { $0.field == RecordSchema.deletedFieldName },
                none: (mine ? "no side of this conflict was written on this replica" : "every side of this conflict was written on this replica")
                    + "; resolve it with --keep or --delete",
                disagree: "the heads written \(mine ? "here" : "elsewhere") both delete and edit the record; resolve it with --keep or --delete"))
        } else if mine || theirs {
            chosen = try agreed(conflict, own: own, \.value,
                none: mine ? "no head of this conflict was written on this replica; use --theirs or --value"
                           : "every head of this conflict was written on this replica; use --mine or --value",
                disagree: "the heads written \(mine ? "here" : "elsewhere") disagree; pick with --value (see `sync-client conflicts show \(conflict.id)`)")
        } else if edit {
            chosen = try ValueParser.parse(try editInEditor(conflict), kind: conflict.kind, field: conflict.field)
        } else {
            chosen = try ValueParser.parse(try readValue(value: value, file: file), kind: conflict.kind, field: conflict.field)
        }
        try replica.write([FieldChange(record: conflict.record, kind: conflict.kind, field: conflict.field, value: chosen)], at: WallClock.now())
        print("Resolved conflict \(conflict.id); sync to close it on every replica.")
    }

    /// What the heads of one side (written on this replica with --mine, elsewhere with --theirs)
    /// agree on, by `what`; refused with `none` when that side wrote no head, `disagree` when
    /// its heads differ.
    func agreed<Value: Hashable>(_ conflict: Conflict, own: Swift.Set<ReplicaID>, _ what: (Version) -> Value,
                                 none: String, disagree: String) throws -> Value {
        let values = Swift.Set(conflict.heads.filter { own.contains($0.dot.replica) == mine }.map(what))
        guard let first = values.first else { throw ClientError(none) }
        guard values.count == 1 else { throw ClientError(disagree) }
        return first
    }

    /// Opens $EDITOR (or $VISUAL) on the conflict with markers and returns the saved text.
    func editInEditor(_ conflict: Conflict) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let editor = [environment["EDITOR"], environment["VISUAL"]].compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            throw ClientError("set $EDITOR to your editor (for example EDITOR=nano), or resolve with --file PATH")
        }
        let lines = ConflictMarkers.lines(
            base: TextOutput.editableLines(conflict.base?.value ?? .null),
            heads: conflict.heads.map { ("\($0.author) (replica \($0.dot.replica.short))", TextOutput.editableLines($0.value)) }
        )
        let folder = try PrivateFolder(prefix: "sync-conflict")
        let path = try folder.create("conflict-\(conflict.id).txt", contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", editor + " \"$1\"", "sh", path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClientError("the editor exited with status \(process.terminationStatus); nothing was saved")
        }
        let text = try readValue(value: nil, file: path)
        if ConflictMarkers.remain(in: text) {
            throw ClientError("conflict markers (<<<<<<<, |||||||, =======, >>>>>>>) remain in the text; nothing was saved. Run `sync-client resolve \(conflict.id) --edit` again and remove them.")
        }
        return text
    }
}
