import ArgumentParser
@testable import sync_client
@testable import sync_server
import Testing

/// The command trees of both binaries, as ArgumentParser builds them at every start.
@Suite struct CommandTreeTests {
    /// Every command of the tree under `root` whose configuration leaves its name to be derived
    /// from its type, as "parent child" paths.
    static func commandsWithoutAName(under root: any ParsableCommand.Type, path: String = "") -> [String] {
        let name = root.configuration.commandName ?? "\(root)"
        let here = path.isEmpty ? name : "\(path) \(name)"
        let own = root.configuration.commandName == nil ? [here] : []
        return own + root.configuration.subcommands.flatMap { commandsWithoutAName(under: $0, path: here) }
    }

    /// A command without an explicit name makes ArgumentParser derive it with
    /// `String(describing:)` at every start, for every command of the tree: a few dynamic casts
    /// each, and each cast a scan of the binary's 9,000 protocol conformances. That was 31% of
    /// the instructions of a `sync-client cell set`.
    @Test func everyCommandOfBothBinariesNamesItself() {
        #expect(Self.commandsWithoutAName(under: SyncClientCommand.self) == [])
        #expect(Self.commandsWithoutAName(under: SyncServerCommand.self) == [])
    }

    @Test func theTreesHoldTheCommandsTheReadmeShows() {
        let client = Self.paths(under: SyncClientCommand.self)
        for command in ["sync-client cell set", "sync-client signal add", "sync-client conflicts show", "sync-client config show", "sync-client sync"] {
            #expect(client.contains(command), "\(command) is missing from \(client)")
        }
        let server = Self.paths(under: SyncServerCommand.self)
        for command in ["sync-server serve", "sync-server analyst add", "sync-server analyst revoke"] {
            #expect(server.contains(command), "\(command) is missing from \(server)")
        }
    }

    static func paths(under root: any ParsableCommand.Type, path: String = "") -> [String] {
        let here = path.isEmpty ? root._commandName : "\(path) \(root._commandName)"
        return [here] + root.configuration.subcommands.flatMap { paths(under: $0, path: here) }
    }
}
