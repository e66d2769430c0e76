import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol
import SyncHTTP
import AsyncHTTPClient

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a replica and its signing key. Needs no network.",
        discussion: """
            Examples:
              sync-client init --server http://127.0.0.1:8080 --token "$TOKEN"
              sync-client init --server https://sync.example.org --token "$TOKEN" --ca-file team-ca.pem
            """
    )
    @OptionGroup var options: ReplicaOption
    @Option(help: "The sync server's URL.") var server: String
    @Option(help: "Your token from `sync-server analyst add`.") var token: String
    @Option(help: "Your analyst name (default: the name the token carries).") var analyst: String?
    @Option(help: ArgumentHelp("A PEM file of certificate authorities to trust for an https:// server, besides the system's.", valueName: "path")) var caFile: String?

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
        print("Created replica \(replica.id) for \(replica.analyst) at \(options.path)")
        // Needs no network; where there is one, the server's key for sealed bundles comes now.
        if let client = try? HTTPTransport.makeClient(connectTimeoutSeconds: 2, caFile: caPath) {
            await SyncCommand.learnKeys(replica, over: HTTPTransport(client: client, server: server, token: token, timeoutSeconds: 10))
            try? await client.shutdown()
        }
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
        let status = OutputJSON.Status(
            replica: replica.id.rawValue, analyst: replica.analyst, server: settings.server,
            versions: try replica.store.versionVector().total, pending: pending.count,
            pendingRecords: pendingRecords, openConflicts: try replica.store.conflicts().count,
            carrying: try replica.carriedPendingCount(), lastSync: try replica.lastSync()
        )
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
            Example: sync-client sync
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

    func validate() throws {
        guard SyncSession.pageSizes.contains(pageSize) else {
            throw ValidationError("--page-size must be between \(SyncSession.pageSizes.lowerBound) and \(SyncSession.pageSizes.upperBound)")
        }
        guard connectTimeout >= 1 else { throw ValidationError("--connect-timeout must be at least 1 second") }
        guard (0...20).contains(retries) else { throw ValidationError("--retries must be between 0 and 20") }
    }

    func run() async throws {
        let replica = try options.open()
        let settings = EffectiveSettings(saved: try replica.settings(), server: server, token: token, caFile: caFile,
                                         environment: ProcessInfo.processInfo.environment)
        let summary = try await Self.sync(replica, settings: settings, connectTimeout: connectTimeout, pageSize: pageSize, retries: retries,
                                          showProgress: isatty(STDERR_FILENO) == 1 && !output.json)
        if output.json { return printJSON(summary) }
        print(Self.resultLines(summary).joined(separator: "\n"))
    }

    /// Fetches and keeps what a replica learns from the server besides versions: its key for
    /// sealed bundles when none is saved, and the signing keys of the replicas this file holds
    /// versions of that the server has not vouched for here. Failures leave them for next time.
    static func learnKeys(_ replica: Replica, over http: HTTPTransport) async {
        if (try? replica.serverBundleKey()) == nil, let answer = try? await http.bundleKey() {
            try? replica.saveServerBundleKey(answer.publicKey)
        }
        if (try? replica.replicasWithoutVouchedKey())?.isEmpty == false, let answer = try? await http.replicaKeys() {
            try? replica.noteVouchedKeys(answer.replicas)
        }
    }

    /// A line for each conflict a sync or a bundle opened.
    static func conflictLines(_ ids: [String]) -> [String] {
        ids.map { "  conflict \($0): see `sync-client conflicts show \($0)`" }
    }

    /// What a sync says when it ends: the figures, then each new conflict.
    static func resultLines(_ summary: OutputJSON.SyncSummary) -> [String] {
        ["Synced with \(summary.server): sent \(summary.sent), received \(summary.received), merged cleanly \(summary.mergedCleanly), new conflicts \(summary.newConflicts.count)"]
            + conflictLines(summary.newConflicts)
    }

    /// One sync of `replica` with the server `settings` name, as `sync-client sync` runs it
    /// (the web page's Sync button too); progress on standard error when `showProgress`.
    static func sync(_ replica: Replica, settings: EffectiveSettings, connectTimeout: Int64 = 5, pageSize: Int = SyncSession.defaultPageSize,
                     retries: Int = 3, showProgress: Bool) async throws -> OutputJSON.SyncSummary {
        let serverURL = settings.server, bearer = settings.token
        guard !serverURL.isEmpty else { throw SyncError.notConfigured("no server URL is saved") }
        guard !bearer.isEmpty else { throw SyncError.notConfigured("no token is saved") }
        let client = try HTTPTransport.makeClient(connectTimeoutSeconds: connectTimeout, caFile: settings.caFile)
        let transport = RetryingTransport(HTTPTransport(client: client, server: serverURL, token: bearer),
                                          delays: RetryingTransport<HTTPTransport>.backoff(retries: retries), onRetry: { retry in
            let reason: String
            switch retry.error {
            case .unreachable(_, let why): reason = why
            case .server(let status, let code, _): reason = "\(status) \(code)"
            default: reason = retry.error.description
            }
            let seconds = retry.delay.components.seconds
            // A progress line, if shown, is ended first.
            FileHandle.standardError.write(Data("\(showProgress ? "\n" : "")the connection to the server dropped (\(reason)); sending the request again in \(seconds) s (retry \(retry.number) of \(retry.total))\n".utf8))
        })
        // A file made before replicas had keys gets one now; the server binds it at this sync.
        try replica.signingKey()
        // Cells given one number on two replicas meet here; the sync reports them as conflicts too.
        let sharedBefore = Set(try replica.store.numberConflicts().map(\.id))
        var session = SyncDriver(replica: replica, pushPageSize: pageSize, pullPageSize: pageSize)
        do {
            try await session.run(over: transport) { stats in
                if showProgress {
                    let step = stats.derivingFields ? ", deriving field states" : "   "
                    FileHandle.standardError.write(Data("\rsyncing: page \(stats.requests), sent \(stats.sent), received \(stats.received)\(step)".utf8))
                }
            }
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            // Whose bundles are genuine, learnt while there is a network, on the same connection.
            await learnKeys(replica, over: HTTPTransport(client: client, server: serverURL, token: bearer))
            try await client.shutdown()
        } catch {
            if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
            try? await client.shutdown()
            if case VersionRefusal.dotReused(let dot) = error, let author = try replica.bundleThatBrought(dot) {
                throw ClientError("version \(dot) of \(author)'s replica came here in a bundle, and the server holds that version with other content: the bundle was forged (or that replica's file was copied). This file cannot take the genuine version; keep it for inspection, make a new replica with `sync-client init`, and sync that")
            }
            throw error
        }
        try replica.noteSync(server: serverURL, at: WallClock.now())
        let stats = session.stats
        let newConflicts = stats.newConflicts + (try replica.store.numberConflicts().map(\.id).filter { !sharedBefore.contains($0) })
        for refused in stats.refusedCarried {
            let what = refused.mayPassLater ? "kept to carry at a later sync" : "no longer carried"
            FileHandle.standardError.write(Data("warning: the server refused versions \(refused.range.label) received by bundle (\(what)): \(refused.message)\n".utf8))
        }
        let summary = OutputJSON.SyncSummary(
            server: serverURL, requests: stats.requests, sent: stats.sent, received: stats.received,
            mergedCleanly: stats.cleanMerges, newConflicts: newConflicts.map(\.rawValue)
        )
        return summary
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
