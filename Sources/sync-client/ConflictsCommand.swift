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
        let choice: ConflictChoice
        if mine { choice = .mine } else if theirs { choice = .theirs } else if keep { choice = .keep } else if delete { choice = .delete }
        else if edit { choice = .edited(try editInEditor(conflict)) } else { choice = .value(try readValue(value: value, file: file)) }
        try choice.resolve(conflict, on: replica, words: .flags)
        print("Resolved conflict \(conflict.id); sync to close it on every replica.")
    }

    /// Opens $EDITOR (or $VISUAL) on the conflict with markers and returns the saved text.
    func editInEditor(_ conflict: Conflict) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let editor = [environment["EDITOR"], environment["VISUAL"]].compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            throw ClientError("set $EDITOR to your editor (for example EDITOR=nano), or resolve with --file PATH")
        }
        let folder = try PrivateFolder(prefix: "sync-conflict")
        let path = try folder.create("conflict-\(conflict.id).txt", contents: Data(ConflictChoice.markedText(conflict).utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", editor + " \"$1\"", "sh", path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClientError("the editor exited with status \(process.terminationStatus); nothing was saved")
        }
        return try readValue(value: nil, file: path)
    }
}
