import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List versions newest first: of the replica, of one record, or of one field.",
        discussion: """
            A version that settled a conflict is marked "resolution"; one written concurrently with another
            version of its field (merged, or a conflict) is marked "concurrent". Values are shown whole for one
            field, or with --full.
            Examples:
              sync-client log
              sync-client log 20
              sync-client log 20 assessment
              sync-client log 20 --full --json
            """
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag
    @Argument(help: "A cell number, or a cell or signal id (prefix).") var record: String?
    @Argument(help: "Only this field.") var field: String?
    @Option(help: "Show at most this many versions (0 for all).") var limit = 50
    @Flag(help: "Show each value whole, not summarised.") var full = false

    func run() throws {
        let replica = try options.open()
        try noteHistoryArriving(replica.store)
        var versions: [Version]
        if let record {
            let found = try RecordLookup(store: replica.store).any(record)
            if let field, SchemaRegistry.standard[found.kind]?.field(field) == nil {
                throw FieldNames.unknown(field, kind: found.kind)
            }
            versions = try replica.store.history(record: found.id, field: field)
            if limit > 0 { versions = Array(versions.prefix(limit)) }
        } else {
            versions = try replica.store.recentVersions(limit: limit > 0 ? limit : Int.max)
        }
        let cells = try CellDirectory(store: replica.store)
        versions = versions.map(cells.shown)
        if output.json { return printJSON(versions.map { OutputJSON.VersionInfo($0, located: true) }) }
        if versions.isEmpty { return print("No versions.") }
        let style = TextStyle.forTerminal(now: WallClock.now())
        let notes = HistoryNotes(versions)
        if full || field != nil {
            for version in versions {
                let note = notes.note(version).map { "  (\($0))" } ?? ""
                print(style.bold("\(style.time(version.time))  \(version.author)  \(version.dot)  \(version.kind) \(version.record.short) \(version.field)") + note)
                print(TextOutput.render(version.value) + "\n")
            }
            return
        }
        print(TextOutput.table(["TIME", "AUTHOR", "VERSION", "RECORD", "FIELD", "VALUE", "NOTE"], versions.map { version in
            [style.time(version.time), version.author, "\(version.dot.replica.short):\(version.dot.counter)",
             "\(version.kind) \(version.record.short)", version.field, version.value.summary, notes.note(version) ?? ""]
        }))
    }
}

struct BlameCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blame",
        abstract: "Show who last set each field of a record, and when.",
        discussion: "Example: sync-client blame 20"
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag
    @Argument(help: "A cell number, or a cell or signal id (prefix).") var record: String
    @Argument(help: "A prose or list field: who wrote each line (or item), through merges.") var field: String?

    struct LineEntry: Encodable {
        var line: String
        var version: OutputJSON.VersionInfo?
    }

    func run() throws {
        let replica = try options.open()
        try noteHistoryArriving(replica.store)
        let cells = try CellDirectory(store: replica.store)
        let found = cells.shown(try RecordLookup(store: replica.store).any(record))
        if let field { return try blameLines(replica, found, field) }
        let heads = try replica.store.fieldHeads(record: found.id).mapValues { $0.map(cells.shown) }
        let names = (SchemaRegistry.standard[found.kind]?.fieldNames ?? []).filter { heads[$0] != nil }
        let entries = names.map { name in
            OutputJSON.BlameEntry(field: name, value: found.value(name), setBy: heads[name]!.map { OutputJSON.VersionInfo($0) })
        }
        if output.json { return printJSON(entries) }
        let style = TextStyle.forTerminal(now: WallClock.now())
        print(TextOutput.table(["FIELD", "SET BY", "WHEN", "VALUE"], names.map { name in
            let versions = heads[name]!
            let latest = versions.map(\.time).max() ?? 0
            let who = versions.map(\.author).joined(separator: " + ") + (versions.count > 1 ? (found.fields[name]?.conflict == nil ? " (merged)" : " (conflict)") : "")
            return [name, who, style.time(latest), found.value(name).summary]
        }))
    }

    func blameLines(_ replica: Replica, _ found: RecordSnapshot, _ field: String) throws {
        guard let schema = SchemaRegistry.standard[found.kind]?.field(field) else {
            throw FieldNames.unknown(field, kind: found.kind)
        }
        guard schema.kind == .prose || schema.kind == .list else {
            throw ClientError("\(field) holds one value, not lines; `sync-client blame \(record)` shows who set it")
        }
        let lines = LineBlame.lines(of: try replica.store.history(record: found.id, field: field), record: found.id, field: schema)
        if output.json { return printJSON(lines.map { LineEntry(line: $0.line, version: $0.version.map { OutputJSON.VersionInfo($0) }) }) }
        if lines.isEmpty { return print("\(field) is empty.") }
        let style = TextStyle.forTerminal(now: WallClock.now())
        let authors = lines.map { $0.version.map { "\($0.author) \($0.dot)" } ?? "?" }
        let width = authors.map(\.count).max() ?? 0
        for (entry, author) in zip(lines, authors) {
            let when = entry.version.map { style.date(TextOutput.isoTime($0.time).prefix(10).description) } ?? ""
            print(author.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + when + "  " + entry.line)
        }
    }
}

struct RevertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert",
        abstract: "Set a field back to the value one of its versions had: an ordinary new write.",
        discussion: """
            VERSION is as `log` prints it (replica:counter, the replica as its first 8 characters or whole).
            Examples:
              sync-client log 20 trend
              sync-client revert 20 trend 3c776e85:4
            """
    )
    @OptionGroup var options: ReplicaOption
    @Argument(help: "A cell number, or a cell or signal id (prefix).") var record: String
    @Argument(help: "The field.") var field: String
    @Argument(help: "The version to go back to (replica:counter).") var version: String

    func run() throws {
        let replica = try options.open()
        let found = try RecordLookup(store: replica.store).any(record)
        if found.deleted { throw ClientError("this \(found.kind) is deleted; bring it back first with `sync-client \(found.kind) restore \(found.id.short)`") }
        guard SchemaRegistry.standard[found.kind]?.field(field) != nil, field != RecordSchema.deletedFieldName else {
            throw FieldNames.unknown(field, kind: found.kind)
        }
        guard let old = try replica.store.version(matching: version), old.record == found.id, old.field == field else {
            throw ClientError("\(field) of this \(found.kind) has no version '\(version.prefix(40))'; versions are replica:counter, as `sync-client log \(record) \(field)` prints them")
        }
        try RecordEdits.write(replica, found, field: field, value: old.value)
        print("Set \(field) back to the value of version \(old.dot) by \(old.author).")
    }
}
