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
            Examples:
              sync-client log
              sync-client log 20
              sync-client log 20 assessment --json
            """
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag
    @Argument(help: "A cell number, or a cell or signal id (prefix).") var record: String?
    @Argument(help: "Only this field.") var field: String?
    @Option(help: "Show at most this many versions (0 for all).") var limit = 50

    func run() throws {
        let replica = try options.open()
        var versions: [Version]
        if let record {
            let found = try RecordLookup(store: replica.store).any(record)
            if let field, SchemaRegistry.standard[found.kind]?.field(field) == nil {
                throw ClientError("a \(found.kind) has no field '\(field)'; its fields are: \(SchemaRegistry.standard[found.kind]!.fieldNames.joined(separator: ", "))")
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
        print(TextOutput.table(["TIME", "AUTHOR", "VERSION", "RECORD", "FIELD", "VALUE"], versions.map { version in
            [style.time(version.time), version.author, "\(version.dot.replica.short):\(version.dot.counter)",
             "\(version.kind) \(version.record.short)", version.field, version.value.summary]
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

    func run() throws {
        let replica = try options.open()
        let cells = try CellDirectory(store: replica.store)
        let found = cells.shown(try RecordLookup(store: replica.store).any(record))
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
}
