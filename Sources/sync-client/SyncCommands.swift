import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a replica and its signing key. Needs no network.",
        discussion: """
            Examples:
              sync-client init --server http://127.0.0.1:8080 --token "$TOKEN"
              sync-client init --server https://sync.example.org --token "$TOKEN" --ca-file team-ca.pem
              sync-client init --server http://127.0.0.1:8080 --token "$TOKEN" --shallow
            """
    )
    @OptionGroup var options: ReplicaOption
    @Option(help: "The sync server's URL.") var server: String
    @Option(help: "Your token from `sync-server analyst add`.") var token: String
    @Option(help: "Your analyst name (default: the name the token carries).") var analyst: String?
    @Option(help: ArgumentHelp("A PEM file of certificate authorities to trust for an https:// server, besides the system's.", valueName: "path")) var caFile: String?
    @Flag(help: "Join shallow: the first sync brings the current state only, and the history follows (`sync --history`, or a page at each sync).")
    var shallow = false

    func validate() throws {
        try SettingsInput.checkServer(server)
        let name = try SettingsInput.analyst(ofToken: token)
        if let analyst, analyst != name {
            throw ValidationError("the token belongs to analyst '\(name)', not '\(analyst)'; drop --analyst or use \(analyst)'s token")
        }
    }

    func run() async throws {
        let caPath = try caFile.map(SettingsInput.caPath) ?? ""
        let replica = try Replica.create(path: options.path, settings: ReplicaSettings(server: server, token: token, analyst: try SettingsInput.analyst(ofToken: token), caFile: caPath))
        if shallow { try replica.requestShallowJoin() }
        print("Created replica \(replica.id) for \(replica.analyst) at \(options.path)" + (shallow ? " (its first sync joins shallow)" : ""))
        // Needs no network; where there is one, the server's key for sealed bundles comes now.
        await ReplicaSync.learnKeys(replica, server: server, token: token, caFile: caPath)
        if try replica.serverBundleKey() == nil {
            print("The server's bundle key was not fetched (no network?); `sync-client sync` fetches it.")
        }
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show this replica, what waits to be sent, and open conflicts.",
        discussion: "Example: sync-client status"
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag

    func run() throws {
        let replica = try options.open()
        let settings = try replica.settings()
        let pending = try replica.pending()
        var byRecord: [RecordID: (kind: String, count: Int)] = [:]
        for version in pending { byRecord[version.record, default: (version.kind, 0)].count += 1 }
        let pendingRecords = byRecord.sorted { $0.key < $1.key }.map {
            OutputJSON.PendingRecord(record: $0.key.rawValue, kind: $0.value.kind, versions: $0.value.count)
        }
        var status = OutputJSON.Status(
            replica: replica.id.rawValue, analyst: replica.analyst, server: settings.server,
            versions: try replica.store.versionVector().total, pending: pending.count,
            pendingRecords: pendingRecords, openConflicts: try replica.store.conflicts().count,
            carrying: try replica.carriedPendingCount(), lastSync: try replica.lastSync(),
            clearances: try replica.clearances(), removed: try replica.removals().map(\.sentence),
            watch: WatchRecord.load(replica: options.path).map { OutputJSON.Status.Watch($0.record, running: $0.running) }
        )
        status.history = try replica.pendingShallowJoin() != nil ? "joining" : try replica.pendingHistory() != nil ? "arriving" : nil
        // The vector counts versions a shallow join has not brought yet; what is held is counted.
        if status.history != nil { status.versions = UInt64(try replica.store.versionCount()) }
        if output.json { return printJSON(status) }
        var labels: [String: String] = [:]
        for record in pendingRecords { labels[record.record] = try recordLabel(record.record, store: replica.store) }
        print(TextOutput.status(status, labels: labels), terminator: "")
    }

    func recordLabel(_ id: String, store: Store) throws -> String {
        guard let recordID = RecordID(id), let record = try store.record(recordID) else { return id }
        if record.kind == "cell" { return "cell \(record.value("number").int.map(String.init) ?? "?") (\(recordID.short))" }
        return "\(record.kind) '\(record.text("title") ?? "")' (\(recordID.short))"
    }
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Exchange versions with the sync server.",
        discussion: """
            Sends this replica's new versions and receives everyone else's. Safe to interrupt and re-run.
            --dry-run asks the server what the sync would move first, with nothing stored on either side.
            Examples:
              sync-client sync
              sync-client sync --dry-run
              sync-client sync --history
            """
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag
    @Option(help: "Use this server URL instead of the saved one ($SYNC_SERVER also overrides).") var server: String?
    @Option(help: "Use this token instead of the saved one ($SYNC_TOKEN also overrides).") var token: String?
    @Option(help: ArgumentHelp("Trust the certificate authorities in this PEM file ($SYNC_CA_FILE also sets it).", valueName: "path")) var caFile: String?
    @Option(help: "Seconds to wait for a connection before giving up.") var connectTimeout: Int64 = 5
    @Option(help: "Versions per request, each way; smaller pages suit slow or flaky links.") var pageSize = SyncSession.defaultPageSize
    @Option(help: "Times a request is sent again when the connection drops after the server has answered (waits of 1, 2, 4, then 8 seconds).")
    var retries = 3
    @Flag(help: "Ask the server what the sync would move (versions and bytes each way, time at the last measured speed); nothing is sent or stored.")
    var dryRun = false
    @Flag(help: "Keep syncing until Ctrl-C: local writes go within a second, colleagues' arrive as they are pushed; one line per change.")
    var watch = false
    @Option(help: ArgumentHelp("With --watch: the longest each wait for news asks the server to hold it.", valueName: "seconds"))
    var waitSeconds = 25
    @Option(help: ArgumentHelp("With --watch: the longest pause between tries while the server cannot be reached (they start at 1 s and double).", valueName: "seconds"))
    var maxBackoff = 60.0
    @Flag(help: "After a shallow join: bring all the history still arriving (each page is kept as it comes; a page comes at every sync anyway).")
    var history = false

    /// What an interrupted sync says: pages already received are committed, each with its
    /// cursor, and unsent writes stay queued.
    static let interrupted = "Interrupted; run `sync-client sync` again to go on — nothing is lost (every page received so far is kept, and your unsent writes stay queued)."

    func validate() throws {
        guard SyncSession.pageSizes.contains(pageSize) else {
            throw ValidationError("--page-size must be between \(SyncSession.pageSizes.lowerBound) and \(SyncSession.pageSizes.upperBound)")
        }
        guard connectTimeout >= 1 else { throw ValidationError("--connect-timeout must be at least 1 second") }
        guard (0...20).contains(retries) else { throw ValidationError("--retries must be between 0 and 20") }
        guard (1...300).contains(waitSeconds) else { throw ValidationError("--wait-seconds must be between 1 and 300") }
        guard maxBackoff >= 0.1 && maxBackoff <= 3600 else { throw ValidationError("--max-backoff must be between 0.1 and 3600 seconds") }
        guard !(history && (watch || dryRun)) else { throw ValidationError("--history brings a shallow join's history in one sync; use it without --watch and --dry-run") }
        guard !(watch && dryRun) else { throw ValidationError("--dry-run asks once what a sync would move and --watch keeps syncing; use one of them") }
    }

    func run() async throws {
        if watch { return try await runWatch() }
        let replica = try options.open()
        let settings = EffectiveSettings(saved: try replica.settings(), server: server, token: token, caFile: caFile,
                                         environment: ProcessInfo.processInfo.environment)
        let showProgress = isatty(STDERR_FILENO) == 1 && !output.json
        let sync = ReplicaSync(connectTimeout: connectTimeout, pageSize: pageSize, retries: retries, historyPages: history ? .max : 1)
        if dryRun {
            let estimate = try await sync.estimate(replica: replica, settings: settings)
            return output.json ? printJSON(estimate) : print(estimate.lines.joined(separator: "\n"))
        }
        let work = Task {
            try await sync.run(replica: replica, settings: settings) { event in
                switch event {
                case .page:
                    if showProgress { FileHandle.standardError.write(Data("\r\(event.line)".utf8)) }
                case .retrying:
                    // A progress line, if shown, is ended first.
                    FileHandle.standardError.write(Data("\(showProgress ? "\n" : "")\(event.line)\n".utf8))
                }
            }
        }
        let interruption = Interruption(cancelling: { work.cancel() }, saying: Self.interrupted)
        let outcome: SyncOutcome
        do {
            outcome = try await work.value
        } catch {
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            // The sentence was printed when the signal came; the exit status says it too.
            if interruption.happened { throw ExitCode(130) }
            throw error
        }
        if interruption.happened { throw ExitCode(130) }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        for warning in outcome.warnings { FileHandle.standardError.write(Data("\(warning)\n".utf8)) }
        if output.json { return printJSON(outcome.summary) }
        print(outcome.lines.joined(separator: "\n"))
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show this replica's settings.",
        subcommands: [Show.self, Set.self],
        defaultSubcommand: Show.self
    )

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change the server, token or CA file this replica syncs with.",
            discussion: """
                The token must be the same analyst's (the replica's writes are signed with that name): after
                `sync-server analyst token NAME`, save the new one here. An empty ca-file drops it.
                Examples:
                  sync-client config set server https://sync.example.org
                  sync-client config set token "$TOKEN"
                  sync-client config set ca-file team-ca.pem
                """
        )
        enum Key: String, ExpressibleByArgument, CaseIterable {
            case server, token
            case caFile = "ca-file"
        }
        @OptionGroup var options: ReplicaOption
        @Argument(help: "server, token or ca-file.") var key: Key
        @Argument(help: "The new value.") var value: String

        func run() throws {
            let replica = try options.open()
            var settings = try replica.settings()
            switch key {
            case .server:
                try SettingsInput.checkServer(value)
                settings.server = value
            case .token:
                let name = try SettingsInput.analyst(ofToken: value)
                guard name == replica.analyst else {
                    throw ClientError("that token is analyst '\(name)''s; this replica writes as '\(replica.analyst)'. Use a token of \(replica.analyst)'s (`sync-server analyst token \(replica.analyst)`), or init a new replica for \(name)")
                }
                settings.token = value
            case .caFile:
                settings.caFile = value.isEmpty ? "" : try SettingsInput.caPath(value)
            }
            try replica.saveSettings(settings)
            print("Saved \(key.rawValue) for this replica\(key == .token ? " (shown masked by `sync-client config show`)" : ": \(key == .server ? settings.server : settings.caFile.isEmpty ? "none" : settings.caFile)").")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print the effective settings and where each comes from; the token is masked.",
            discussion: "Example: SYNC_SERVER=http://10.0.0.5:8080 sync-client config show"
        )
        @OptionGroup var options: ReplicaOption
        @OptionGroup var output: JSONFlag

        func run() throws {
            let replica = try options.open()
            let settings = EffectiveSettings(saved: try replica.settings(), server: nil, token: nil, environment: ProcessInfo.processInfo.environment)
            let shape = OutputJSON.Config(replicaPath: options.path, replica: replica.id.rawValue, analyst: replica.analyst, settings: settings)
            if output.json { return printJSON(shape) }
            print(TextOutput.table(["SETTING", "VALUE", "FROM"], [
                ["replica file", shape.replicaPath, options.pathSource],
                ["replica id", shape.replica, "replica"],
                ["analyst", shape.analyst, "replica"],
                ["server", shape.server, settings.serverSource.rawValue],
                ["token", shape.token, settings.tokenSource.rawValue],
                ["CA file", shape.caFile.isEmpty ? "(system roots only)" : shape.caFile, settings.caFileSource.rawValue],
            ]))
        }
    }
}
