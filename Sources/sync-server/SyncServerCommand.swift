import ArgumentParser
import Foundation
import LocalStore
import Logging
import SyncServerCore

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
        subcommands: [Serve.self, AnalystCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// `--db`, shared by every subcommand.
struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The server's SQLite file (created if missing).", valueName: "path"))
    var db: String = ProcessInfo.processInfo.environment["SYNC_SERVER_DB"] ?? "sync-server.sqlite"

    func open() throws -> ServerStore { try ServerStore.open(path: db) }
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
    @Option(help: ArgumentHelp("Serve HTTPS with this certificate (PEM, leaf first); needs --tls-key.", valueName: "path")) var tlsCert: String?
    @Option(help: ArgumentHelp("The certificate's private key (unencrypted PEM).", valueName: "path")) var tlsKey: String?
    // Fault injection for the crash and shutdown tests: pause each sync at a known point.
    @Option(help: .hidden) var testPauseBeforeCommitMs: Int?
    @Option(help: .hidden) var testPauseAfterCommitMs: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: pass both to serve HTTPS, or neither for plain HTTP")
        }
        guard maxVersionsPerRequest >= 1, maxPageSize >= 1 else {
            throw ValidationError("--max-versions-per-request and --max-page-size must be at least 1")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let store = try database.open()
        var limits = ServerLimits()
        limits.maxBodyBytes = maxBodyBytes
        limits.maxVersionsPerRequest = maxVersionsPerRequest
        limits.maxPageSize = maxPageSize
        limits.defaultPageSize = min(limits.defaultPageSize, maxPageSize)
        let path = database.db
        let host = self.host
        let tls = tlsCert.map { TLSFiles(certificate: $0, key: tlsKey ?? "") }
        let scheme = tls == nil ? "http" : "https"
        let app = try buildApplication(
            store: store,
            configuration: ServerConfiguration(
                host: host, port: port, limits: limits,
                pauses: TestPauses(beforeCommit: testPauseBeforeCommitMs.map { .milliseconds($0) }, afterCommit: testPauseAfterCommitMs.map { .milliseconds($0) }),
                tls: tls
            )
        ) { port in
            FileHandle.standardOutput.write(Data("sync-server listening on \(scheme)://\(host):\(port) (database: \(path))\n".utf8))
        }
        try await app.runService()
    }
}

struct AnalystCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyst",
        abstract: "Add, list and revoke the analysts allowed to sync.",
        subcommands: [Add.self, List.self, Revoke.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add an analyst and print their bearer token once (only its SHA-256 hash is stored).",
            discussion: "Example: TOKEN=$(sync-server analyst add alice --db field.sqlite)"
        )
        @Argument(help: "1 to 32 letters, digits, '_' or '-'.") var name: String
        @OptionGroup var database: DatabaseOption

        func validate() throws {
            guard TokenHasher.isValidName(name) else {
                throw ValidationError("analyst name '\(name.prefix(40))' must be 1 to 32 letters, digits, '_' or '-'")
            }
        }

        func run() throws {
            let token = TokenHasher.makeToken(analyst: name)
            try database.open().addAnalyst(name: name, tokenHash: TokenHasher.hash(token), at: WallClock.now())
            FileHandle.standardError.write(Data("Added analyst '\(name)'. Their token follows; it is shown only now, the server keeps only its hash:\n".utf8))
            print(token)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List analysts.", discussion: "Example: sync-server analyst list --db field.sqlite")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = try database.open()
            let owners = try store.owners()
            for analyst in try store.analysts() {
                let replicas = owners.values.filter { $0 == analyst.name }.count
                let state = analyst.revoked == nil ? "active" : "revoked"
                print("\(analyst.name)\t\(state)\t\(replicas) replica\(replicas == 1 ? "" : "s")")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke an analyst's token.", discussion: "Example: sync-server analyst revoke alice --db field.sqlite")
        @Argument var name: String
        @OptionGroup var database: DatabaseOption

        func run() throws {
            try database.open().revoke(name: name, at: WallClock.now())
            print("Revoked analyst '\(name)'; their token no longer syncs.")
        }
    }
}
