import ArgumentParser
@testable import sync_client
@testable import sync_server
import Testing

/// The command trees of both binaries, as ArgumentParser builds them at every start.
@Suite struct CommandTreeTests {
    /// Every command of the tree under `root`, with its path ("sync-client cell set").
    static func commands(under root: any ParsableCommand.Type, path: String = "") -> [(path: String, type: any ParsableCommand.Type)] {
        let here = path.isEmpty ? root._commandName : "\(path) \(root._commandName)"
        return [(here, root)] + root.configuration.subcommands.flatMap { commands(under: $0, path: here) }
    }

    /// A command without an explicit name makes ArgumentParser derive it with
    /// `String(describing:)` at every start, for every command of the tree: a few dynamic casts
    /// each, and each cast a scan of the binary's 9,000 protocol conformances. That was 31% of
    /// the instructions of a `sync-client cell set`.
    @Test func everyCommandOfBothBinariesNamesItself() {
        for root: any ParsableCommand.Type in [SyncClientCommand.self, SyncServerCommand.self] {
            let unnamed = Self.commands(under: root).filter { $0.type.configuration.commandName == nil }.map(\.path)
            #expect(unnamed == [], "these commands need a commandName")
        }
    }

    @Test func theTreesHoldTheCommandsTheReadmeShows() {
        let client = Self.commands(under: SyncClientCommand.self).map(\.path)
        for command in ["sync-client cell set", "sync-client signal add", "sync-client conflicts show", "sync-client conflicts resolve", "sync-client resolve", "sync-client config show", "sync-client sync"] {
            #expect(client.contains(command), "\(command) is missing from \(client)")
        }
        let server = Self.commands(under: SyncServerCommand.self).map(\.path)
        for command in ["sync-server serve", "sync-server analyst add", "sync-server analyst revoke"] {
            #expect(server.contains(command), "\(command) is missing from \(server)")
        }
    }
}
