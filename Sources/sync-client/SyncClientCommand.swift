import ArgumentParser
import CommandLineSupport
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

@main
struct SyncClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-client",
        abstract: "An analyst's offline replica of the assessment dashboard, and its sync.",
        discussion: """
            Every command but `sync` works offline against the local replica.

            Examples:
              sync-client init --server http://127.0.0.1:8080 --token "$TOKEN"
              sync-client cell create --number 20 --title "Burden-Sharing & Alliance Architecture"
              sync-client cell set 20 trajectory Advancing
              sync-client sync
              sync-client conflicts
            """,
        version: ToolVersion.text,
        subcommands: [
            InitCommand.self, CellCommand.self, SignalCommand.self, StatusCommand.self,
            SyncCommand.self, NewsCommand.self, BundleCommand.self, RekeyCommand.self, ConflictsCommand.self, ResolveCommand.self, LogCommand.self, BlameCommand.self, DiffCommand.self, RevertCommand.self,
            DashboardCommand.self, WebCommand.self, SearchCommand.self, ExportCommand.self, ImportCommand.self, ConfigCommand.self,
        ]
    )

    /// Accepts `--replica PATH` before the subcommand too (`sync-client --replica a.sqlite status`).
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        while let first = arguments.first, first == "--replica" || first.hasPrefix("--replica=") {
            let value: String
            if first == "--replica" {
                guard arguments.count >= 2 else { break }
                value = arguments[1]
                arguments.removeFirst(2)
            } else {
                value = String(first.dropFirst("--replica=".count))
                arguments.removeFirst()
            }
            setenv(ReplicaOption.globalVariable, value, 1)
        }
        await runLaidOut(arguments) { error, arguments in
            // "-1" reads as an option, so the parser reports a missing argument: say what it is.
            guard let negative = arguments.first(where: { $0.count > 1 && $0.hasPrefix("-") && Int($0) != nil }),
                  fullMessage(for: error).contains("Missing expected argument") else { return nil }
            return "'\(negative)' is read as an option; cell numbers are whole numbers from 0 up. A value that starts with '-' goes after --, as in: sync-client cell set 20 trend -- \(negative)"
        }
    }
}

/// `--replica`, shared by every subcommand.
struct ReplicaOption: ParsableArguments {
    /// Where a `--replica` given before the subcommand is passed on.
    static let globalVariable = "SYNC_CLIENT_GLOBAL_REPLICA"

    @Option(name: .long, help: ArgumentHelp("The replica file (default: $SYNC_REPLICA, else ~/.local/share/field-sync/replica.sqlite).", valueName: "path"))
    var replica: String?

    var path: String {
        if let replica { return replica }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment[Self.globalVariable], !path.isEmpty { return path }
        if let path = environment["SYNC_REPLICA"], !path.isEmpty { return path }
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")
        return (dataHome as NSString).appendingPathComponent("field-sync/replica.sqlite")
    }

    /// Where ``path`` came from, as `config show` names it.
    var pathSource: String {
        let environment = ProcessInfo.processInfo.environment
        if replica != nil || !(environment[Self.globalVariable] ?? "").isEmpty { return "flag" }
        if !(environment["SYNC_REPLICA"] ?? "").isEmpty { return "environment" }
        return "default"
    }

    func open() throws -> Replica { try Replica.open(path: path) }

    /// Makes the default replica's folder (private to this user) when it is missing: it is this
    /// tool's own place. A folder named by a flag or `$SYNC_REPLICA` is never made: a missing one
    /// is more likely a typo, and the store refuses it with a sentence.
    func validate() throws {
        guard pathSource == "default" else { return }
        let folder = (path as NSString).deletingLastPathComponent
        guard !FileManager.default.fileExists(atPath: folder) else { return }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ClientError("cannot create the default replica folder \(folder): \(error.localizedDescription); name a replica with --replica PATH")
        }
    }
}

/// `--json`, on every command that reads.
struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (a stable shape, listed in docs/how-it-works.md#--json-shapes).") var json = false
}

func printJSON(_ value: some Encodable) {
    FileHandle.standardOutput.write(Data(OutputJSON.text(value).utf8))
}
