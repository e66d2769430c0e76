import Foundation
import Glibc
import Testing
import TestSupport

/// Files the real `sync-client` writes or makes on the user's behalf never replace what the
/// user pointed at.
@Suite(.serialized, .ownThreads) struct OutputPathEndToEndTests {
    static func kind(_ path: String) -> FileKind { FileKind(at: path) }

    @Test func exportWritesThroughLinksAndIntoSpecialFilesAndRefusesFolders() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")

        // A link to a file: the file gets the export, the link stays a link
        try "stale".write(toFile: workspace.path("dashboard.json"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: workspace.path("link.json"), withDestinationPath: "dashboard.json")
        try alice.ok("export", "--output", workspace.path("link.json"))
        #expect(Self.kind(workspace.path("link.json")) == .symbolicLink)
        #expect(try String(contentsOfFile: workspace.path("dashboard.json"), encoding: .utf8).contains("Burden-Sharing"))

        // A link to /dev/null: written into, neither replaced
        try FileManager.default.createSymbolicLink(atPath: workspace.path("null"), withDestinationPath: "/dev/null")
        try alice.ok("export", "--output", workspace.path("null"))
        #expect(Self.kind(workspace.path("null")) == .symbolicLink && Self.kind("/dev/null") == .characterDevice)

        // A FIFO read by another process, as a shell's >(gzip > d.json.gz) is
        #expect(mkfifo(workspace.path("pipe"), 0o600) == 0)
        let reader = try workspace.start("/bin/cat", [workspace.path("pipe")])
        try alice.ok("export", "--output", workspace.path("pipe"))
        let read = reader.wait()
        #expect(read.stdout.contains("Burden-Sharing") && Self.kind(workspace.path("pipe")) == .fifo)

        // Refusals: a sentence, a failing status, nothing written
        let folder = try alice.fails("export", "--output", workspace.url.path)
        #expect(folder.stderr.contains("is a folder; name a file inside it"), "\(folder.stderr)")
        try FileManager.default.createSymbolicLink(atPath: workspace.path("dangling.json"), withDestinationPath: workspace.path("gone.json"))
        let dangling = try alice.fails("export", "--output", workspace.path("dangling.json"))
        #expect(dangling.stderr.contains("which does not exist"), "\(dangling.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("gone.json")))
        let missing = try alice.fails("export", "--output", workspace.path("nowhere/d.json"))
        #expect(missing.stderr.contains("does not exist; create it first"), "\(missing.stderr)")
    }

    @Test func initRefusesAFolderAndADanglingLinkWithASentence() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let token = try server.addAnalyst("alice")
        try FileManager.default.createDirectory(atPath: workspace.path("folder"), withIntermediateDirectories: true)
        let folder = try workspace.run("sync-client", ["init", "--replica", workspace.path("folder"), "--server", server.url, "--token", token])
        #expect(folder.status != 0 && folder.stderr.contains("it is a folder; name a file"), "\(folder.stderr)")
        #expect(!folder.stderr.contains("disk I/O error"))
        try FileManager.default.createSymbolicLink(atPath: workspace.path("link.sqlite"), withDestinationPath: workspace.path("elsewhere.sqlite"))
        let link = try workspace.run("sync-client", ["init", "--replica", workspace.path("link.sqlite"), "--server", server.url, "--token", token])
        #expect(link.status != 0 && link.stderr.contains("symbolic link to \(workspace.path("elsewhere.sqlite")), which does not exist"), "\(link.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.path("elsewhere.sqlite")))
    }

    @Test func rekeyThroughALinkRebuildsTheFileItNamesAndNeverReplacesAPlantedBackupLink() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: try server.addAnalyst("alice"))
        try alice.ok("cell", "create", "--number", "20", "--title", "Burden-Sharing")
        try FileManager.default.createSymbolicLink(atPath: workspace.path("link.sqlite"), withDestinationPath: alice.replica)
        // A link planted where the first backup would go, pointing at a file that must survive
        try "precious".write(toFile: workspace.path("precious.txt"), atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: alice.replica + ".before-rekey", withDestinationPath: workspace.path("precious.txt"))
        let linked = Client(workspace: workspace, replica: workspace.path("link.sqlite"))
        try linked.ok("rekey")
        #expect(Self.kind(workspace.path("link.sqlite")) == .symbolicLink, "the link is still a link")
        #expect(try String(contentsOfFile: workspace.path("precious.txt"), encoding: .utf8) == "precious")
        #expect(Self.kind(alice.replica + ".before-rekey") == .symbolicLink)
        #expect(Self.kind(alice.replica + ".before-rekey-2") == .regular, "the backup took the next free name")
        #expect(try alice.ok("cell", "list").contains("Burden-Sharing"))
    }
}
