import ArgumentParser
import Foundation
import Hummingbird
import LocalStore
import SyncClientCore
import WebDashboard

struct WebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve the dashboard from this replica in a browser, on 127.0.0.1 only; works with no network.",
        discussion: """
            Prints an address with a one-time token; open it in a browser on this machine. Pages: the dashboard,
            each cell, signals, conflicts (resolved as `resolve` does), edits and a Sync button. With a server
            configured it also keeps the replica in step as `sync --watch` does, and pages say when new versions
            arrived. Stop with Ctrl-C.
            Examples:
              sync-client web
              sync-client web --port 8765 --open
            """
    )
    @OptionGroup var options: ReplicaOption
    @Option(help: "The port on 127.0.0.1 (0: any free one).") var port = 0
    @Flag(help: "Open the address in the default browser (xdg-open).") var open = false
    @Flag(help: "Do not keep the replica in step with the server while serving (the Sync button still works).") var noWatch = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        let replica = try options.open()
        let guardian = WebGuard(port: port)
        let open = self.open
        let app = WebServer.application(replica: replica, guardian: guardian, port: port, onListening: { url in
            // Written straight to the descriptor: a pipe reading it sees the line at once.
            FileHandle.standardOutput.write(Data("The dashboard is at \(url)\n(only this machine can reach it; the token is required; stop with Ctrl-C)\n".utf8))
            if open { Self.openInBrowser(url) }
        })
        let watch = noWatch ? nil : try watching(replica)
        try await app.runService()
        watch?.cancel()
        _ = await watch?.result
    }

    /// The watch loop of `sync --watch`, while the dashboard serves, printing its lines; none
    /// without a server, or when another watch already keeps this replica in step (said once).
    private func watching(_ replica: Replica) throws -> Task<Void, any Error>? {
        let settings = EffectiveSettings(saved: try replica.settings(), server: nil, token: nil, caFile: nil,
                                         environment: ProcessInfo.processInfo.environment)
        guard !settings.server.isEmpty, !settings.token.isEmpty else { return nil }
        let path = options.path
        return Task {
            do {
                try await LiveSync().run(replica: replica, path: path, settings: settings) { event, time in
                    FileHandle.standardOutput.write(Data((event.stamped(at: time) + "\n").utf8))
                }
            } catch {
                FileHandle.standardError.write(Data("note: the dashboard does not keep the replica in step by itself: \(error)\n".utf8))
            }
        }
    }

    static func openInBrowser(_ url: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xdg-open", url]
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("note: could not start a browser (\(error)); open the address above yourself\n".utf8))
        }
    }
}
