import ArgumentParser
import CommandLineSupport
import Foundation
import LocalStore
import Logging
import NIOCore
import PostgresStore
import SyncModel
import SyncProtocol
import SyncServerCore
import Hummingbird
import CoreMetrics
import Prometheus

@main
struct SyncServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-server",
        abstract: "The field-sync server: stores every replica's versions and serves POST /v1/sync.",
        discussion: """
            Examples:
              sync-server                                  # serve sync-server.sqlite on 127.0.0.1:8080
              sync-server --db /srv/field.sqlite --port 9000
              sync-server --host 0.0.0.0 --tls-cert server.pem --tls-key server.key
              sync-server analyst add alice                # prints alice's token once
            """,
        version: ToolVersion.text,
        subcommands: [Serve.self, AnalystCommand.self, CompartmentCommand.self, ClearanceCommand.self, MigrateCommand.self, BundleCommand.self, BackupCommand.self, RestoreCommand.self, StatusCommand.self],
        defaultSubcommand: Serve.self
    )

    static func main() async {
        await runLaidOut(Array(CommandLine.arguments.dropFirst()))
    }
}

/// `--db` and `--create`, shared by every subcommand.
struct DatabaseOption: ParsableArguments {
    /// The embedded default, made by `serve` when missing.
    static let defaultPath = "sync-server.sqlite"

    @Option(name: .long, help: ArgumentHelp("The server's SQLite file, or a postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE URL for several instances on one PostgreSQL database (default: $SYNC_SERVER_DB, else sync-server.sqlite).", valueName: "path-or-url"))
    var db: String?
    @Flag(help: "Make a new SQLite database at --db if there is none (only `serve` with no --db makes one by itself). A PostgreSQL database must exist; an empty one gets the schema.") var create = false

    /// The file or URL named by --db, $SYNC_SERVER_DB or the default.
    var path: String { db ?? environmentPath ?? Self.defaultPath }

    /// Whether the path is the embedded default (named by no flag and no environment).
    var isDefault: Bool { db == nil && environmentPath == nil }

    /// How logs and messages name the database: a URL without its password.
    var displayName: String {
        guard PostgresLocation.isURL(path) else { return path }
        return (try? PostgresLocation(url: path))?.description ?? "the postgres URL given"
    }

    private var environmentPath: String? { ProcessInfo.processInfo.environment["SYNC_SERVER_DB"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Opens the database: PostgreSQL for a postgres:// URL, else the SQLite file (a missing one
    /// is made only with --create, or for `serve` on the default).
    /// `pauses` are the crash tests' (see ``CommitPauses``).
    func open(servingDefault: Bool = false, pauses: CommitPauses = CommitPauses()) async throws -> OpenStore {
        if PostgresLocation.isURL(path) {
            let store = try await PostgresServerStore.connect(try PostgresLocation(url: path), pauses: pauses)
            return OpenStore(storage: store, close: { store.close() }, readiness: { try await store.checkReachable() })
        }
        let store = try SQLiteServerStore.open(path: path, create: create || (servingDefault && isDefault)).pausing(pauses)
        // Closed whole into its main file when nothing else has it open (a copy then needs no
        // `-wal` beside it); while another command or server has it open, it stays as it is.
        return OpenStore(storage: store, close: { try? store.close() }, readiness: { try store.checkReachable() })
    }

    /// Runs `body` on the open database, closing it afterwards.
    func withStore<T>(_ body: (any ServerStorage) async throws -> T) async throws -> T {
        let store = try await open()
        defer { store.close() }
        return try await body(store.storage)
    }
}

/// An open server database and how to close it.
struct OpenStore {
    var storage: any ServerStorage
    var close: () -> Void
    /// Throws a sentence when the database cannot be reached now (`GET /v1/ready`).
    var readiness: @Sendable () async throws -> Void
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the sync server (the default command).",
        discussion: "Example: sync-server serve --db field.sqlite --host 127.0.0.1 --port 8080"
    )

    @OptionGroup var database: DatabaseOption
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0 picks a free one, printed at start).") var port = 8080
    @Option(help: "Largest request body in bytes (clients push pages of up to 8 MiB of values and halve them when refused: keep it above 9 MiB).") var maxBodyBytes = ServerLimits().maxBodyBytes
    @Option(help: "Most versions one request may push.") var maxVersionsPerRequest = ServerLimits().maxVersionsPerRequest
    @Option(help: "Most versions one answer carries.") var maxPageSize = ServerLimits().maxPageSize
    @Option(help: "The longest a watching replica's wait (POST /v1/wait) is held before it is answered, in seconds.") var maxWaitSeconds = ServerLimits().maxWaitSeconds
    @Option(help: "Most waits one analyst may have open at once (each watching replica or dashboard holds one).") var maxWaitsPerAnalyst = ServerLimits().maxWaitsPerAnalyst
    @Option(help: "Most waits the server holds at once.") var maxWaits = ServerLimits().maxWaits
    @Option(help: ArgumentHelp("How often the server looks for commits made by other instances or commands, in milliseconds.", valueName: "ms")) var changePollMs = ServerLimits().changePollMilliseconds
    @Option(help: ArgumentHelp("Serve HTTPS with this certificate (PEM, leaf first); needs --tls-key.", valueName: "path")) var tlsCert: String?
    @Option(help: ArgumentHelp("The certificate's private key (unencrypted PEM).", valueName: "path")) var tlsKey: String?
    @Option(help: ArgumentHelp("Log lines as text or json (one object a line, for collectors), on standard error.", valueName: "text|json")) var logFormat = "text"
    @Option(help: ArgumentHelp("The least severe lines logged: trace, debug, info, notice, warning, error or critical. Tokens and version contents are never logged.", valueName: "level")) var logLevel = "info"
    @Option(help: ArgumentHelp("Serve Prometheus metrics at GET /metrics on this port, a listener of its own (0 picks a free one, logged at start).", valueName: "port")) var metricsPort: Int?
    @Option(help: ArgumentHelp("The address the metrics listener binds to.", valueName: "host")) var metricsHost = "127.0.0.1"
    // Fault injection for the crash and shutdown tests: pause each sync at a known point.
    @Option(help: .hidden) var testPauseBeforeCommitMs: Int?
    @Option(help: .hidden) var testPauseAfterCommitMs: Int?

    /// The hidden options' pauses, each logging `test pause: <point>` before it sleeps.
    private func testPauses() -> CommitPauses {
        let logger = Logger(label: "sync-server")
        var pauses = CommitPauses()
        if let milliseconds = testPauseBeforeCommitMs {
            pauses.beforeCommit = {
                logger.notice("test pause: before-commit")
                Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
            }
        }
        if let milliseconds = testPauseAfterCommitMs {
            pauses.afterCommit = {
                logger.notice("test pause: after-commit")
                try? await Task.sleep(for: .milliseconds(milliseconds))
            }
        }
        return pauses
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: pass both to serve HTTPS, or neither for plain HTTP")
        }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be between 0 and 65535") }
        guard LogFormat(rawValue: logFormat) != nil else { throw ValidationError("--log-format must be text or json") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard maxVersionsPerRequest >= 1, maxPageSize >= 1 else {
            throw ValidationError("--max-versions-per-request and --max-page-size must be at least 1")
        }
        guard (1...300).contains(maxWaitSeconds) else { throw ValidationError("--max-wait-seconds must be between 1 and 300") }
        guard maxWaitsPerAnalyst >= 1, maxWaits >= 1 else { throw ValidationError("--max-waits-per-analyst and --max-waits must be at least 1") }
        guard (10...10_000).contains(changePollMs) else { throw ValidationError("--change-poll-ms must be between 10 and 10000") }
    }

    func run() async throws {
        (LogFormat(rawValue: logFormat) ?? .text).bootstrap(level: Logger.Level(rawValue: logLevel) ?? .info)
        let tls = tlsCert.map { TLSFiles(certificate: $0, key: tlsKey ?? "") }
        // Refused before the database is opened (or made): a bad setup changes nothing.
        _ = try tls?.configuration()
        let opened = try await database.open(servingDefault: true, pauses: testPauses())
        defer { opened.close() }
        if !PostgresLocation.isURL(database.path) { try ServingLock.holdShared(database.path) }
        let store = opened.storage
        var limits = ServerLimits()
        limits.maxBodyBytes = maxBodyBytes
        limits.maxVersionsPerRequest = maxVersionsPerRequest
        limits.maxPageSize = maxPageSize
        limits.maxWaitSeconds = maxWaitSeconds
        limits.maxWaitsPerAnalyst = maxWaitsPerAnalyst
        limits.maxWaits = maxWaits
        limits.changePollMilliseconds = changePollMs
        limits.defaultPageSize = min(limits.defaultPageSize, maxPageSize)
        let path = database.displayName
        let host = self.host
        // Metrics only when asked for: a registry of this process, served on its own listener.
        var metrics = SyncMetrics()
        var metricsServer: Task<Void, any Error>?
        if let metricsPort {
            let registry = PrometheusCollectorRegistry()
            let factory = PrometheusMetricsFactory(registry: registry)
            MetricsSystem.bootstrap(factory)
            metrics = SyncMetrics(factory: factory)
            let metricsHost = self.metricsHost
            let endpoint = MetricsEndpoint(registry: registry, store: store, metrics: metrics).application(host: metricsHost, port: metricsPort) { port in
                FileHandle.standardError.write(Data("sync-server metrics on http://\(metricsHost):\(port)/metrics\n".utf8))
            }
            metricsServer = Task { try await endpoint.run() }
        }
        defer { metricsServer?.cancel() }
        let scheme = tls == nil ? "http" : "https"
        let app = try buildApplication(
            store: store,
            configuration: ServerConfiguration(
                host: host, port: port, limits: limits,
                tls: tls, readiness: opened.readiness, metrics: metrics
            )
        ) { port in
            FileHandle.standardOutput.write(Data("sync-server listening on \(scheme)://\(host):\(port) (database: \(path))\n".utf8))
        }
        do {
            try await app.runService()
        } catch let error as IOError {
            throw ServeError(listening: error, host: host, port: port)
        }
        FileHandle.standardError.write(Data("sync-server stopped; every sync it accepted is committed (database: \(path))\n".utf8))
    }
}

/// Why the server could not listen, as a sentence with what to do.
struct ServeError: Error, CustomStringConvertible {
    var description: String

    init(listening error: IOError, host: String, port: Int) {
        switch error.errnoCode {
        case EADDRINUSE:
            description = "port \(port) on \(host) is already in use (another sync-server?); stop that program, or choose another --port (0 picks a free one)"
        case EACCES:
            description = "no permission to listen on port \(port) of \(host) (ports below 1024 need root); choose a port above 1023, or put a proxy in front"
        case EADDRNOTAVAIL:
            description = "\(host) is not an address of this machine; use 127.0.0.1, 0.0.0.0 (every address) or one of its own"
        default:
            description = "cannot listen on \(host):\(port): \(String(cString: strerror(error.errnoCode)))"
        }
    }
}

struct AnalystCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyst",
        abstract: "Add, list and revoke the analysts allowed to sync.",
        subcommands: [Add.self, List.self, Token.self, Revoke.self, Reinstate.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add an analyst and print their bearer token once (only its SHA-256 hash is stored).",
            discussion: "Example: TOKEN=$(sync-server analyst add alice --db field.sqlite --create)   # --create makes a new database file"
        )
        @Argument(help: "1 to 32 letters, digits, '_' or '-'.") var name: String
        @OptionGroup var database: DatabaseOption

        func validate() throws {
            guard TokenHasher.isValidName(name) else {
                throw ValidationError("analyst name '\(name.prefix(40))' must be 1 to 32 letters, digits, '_' or '-'")
            }
        }

        func run() async throws {
            let token = TokenHasher.makeToken(analyst: name)
            try await database.withStore { store in
                do {
                    try await store.addAnalyst(name: name, tokenHash: TokenHasher.hash(token), at: WallClock.now())
                } catch AnalystError.exists {
                    throw AnalystAdvice(name: name, revoked: try await store.analysts().first { $0.name == name }?.revoked != nil)
                }
            }
            FileHandle.standardError.write(Data("Added analyst '\(name)'. Their token follows; it is shown only now, the server keeps only its hash:\n".utf8))
            print(token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List analysts, each with their replicas and last sync.", discussion: "Example: sync-server analyst list --db field.sqlite")
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let (activity, analysts) = try await database.withStore { store in (try await store.replicaActivity(), try await store.analysts()) }
            let now = WallClock.now()
            for analyst in analysts {
                let replicas = activity.filter { $0.analyst == analyst.name }
                let state = analyst.revoked == nil ? "active" : "revoked"
                let synced = replicas.compactMap(\.lastSync).max().map { "last sync \(TimeText.utc($0)) (\(TimeText.ago($0, now: now)))" } ?? "never synced"
                print("\(analyst.name)\t\(state)\t\(replicas.count) replica\(replicas.count == 1 ? "" : "s")\t\(synced)")
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Give an analyst, active or revoked, a new token and print it once; the old one stops syncing at once.",
            discussion: """
                The analyst keeps their replicas; on each, save the new token with `sync-client config set token TOKEN`.
                Example: TOKEN=$(sync-server analyst token carol --db field.sqlite)
                """
        )
        @Argument var name: String
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let token = TokenHasher.makeToken(analyst: name)
            let revoked = try await database.withStore { try await $0.replaceToken(name: name, tokenHash: TokenHasher.hash(token)) }
            let state = revoked ? " '\(name)' is revoked: this token syncs once you run `sync-server analyst reinstate \(name)`." : ""
            FileHandle.standardError.write(Data("New token for '\(name)'; the old one no longer syncs.\(state) It is shown only now:\n".utf8))
            print(token)
        }
    }

    struct Reinstate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reinstate",
            abstract: "Let a revoked analyst sync again, with their replicas as before.",
            discussion: "If their old token may have leaked, give them a new one first with `sync-server analyst token NAME`.\nExample: sync-server analyst reinstate carol --db field.sqlite"
        )
        @Argument var name: String
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            if try await database.withStore({ try await $0.reinstate(name: name) }) {
                print("Reinstated analyst '\(name)'; their current token syncs again.")
            } else {
                print("Analyst '\(name)' is not revoked; nothing changed.")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an analyst's token.", discussion: "Example: sync-server analyst revoke alice --db field.sqlite")
        @Argument var name: String
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            try await database.withStore { try await $0.revoke(name: name, at: WallClock.now()) }
            print("Revoked analyst '\(name)'; their token no longer syncs. Undo with `sync-server analyst reinstate \(name)`.")
        }
    }
}
