import ArgumentParser
import Foundation
import LocalStore
import SyncModel
import SyncProtocol
import SyncServerCore

struct BundleBench: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Creating and applying a bundle of 1,000,000 versions with the real sync-client (target ≥ 1/2 of the first sync's rate, measured in the same run; peak memory < 150 MB each, as the first sync), and a bundle's bytes per small edit (target ≤ 1.5× the wire's)."
    )
    @Option(help: "Versions in the bundle.") var versions = 1_000_000
    @Option(help: "Small edits in the batch whose size is compared.") var edits = 1_000

    func validate() throws {
        try require("--versions", versions, atLeast: 1)
        try require("--edits", edits, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let token = TokenHasher.makeToken(analyst: "alice")
        let source = try BenchFixtures.replica(at: folder.path("source.sqlite"), versions: versions, analyst: "alice")
        // The writer has never synced: every version it holds goes in the bundle.
        let bundle = folder.path("field.fsbundle")
        let create = try runTimed("sync-client", ["bundle", "create", "--output", bundle, "--replica", folder.path("source.sqlite")])
        let bytes = try FileManager.default.attributesOfItem(atPath: bundle)[.size] as? Int ?? 0

        // The reference: the same versions' first sync through the real server and client.
        let serverStore = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        try serverStore.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 0)
        try await BenchFixtures.seed(serverStore, analyst: "alice", from: source)
        try serverStore.close()
        let server = try BenchServer(database: folder.path("server.sqlite"))
        defer { server.stop() }
        let synced = folder.path("synced.sqlite")
        _ = try runTimed("sync-client", ["init", "--replica", synced, "--server", server.url, "--token", token])
        let firstSync = try runTimed("sync-client", ["sync", "--replica", synced])

        let fresh = folder.path("fresh.sqlite")
        _ = try runTimed("sync-client", ["init", "--replica", fresh, "--server", server.url, "--token", TokenHasher.makeToken(analyst: "bob")])
        let apply = try runTimed("sync-client", ["bundle", "apply", bundle, "--replica", fresh])
        let applied = try Replica.open(path: fresh)
        guard try applied.store.versionVector().total == UInt64(versions), try applied.store.canonicalDump() == source.store.canonicalDump() else {
            throw BenchError("the replica that applied the bundle differs from its writer")
        }
        let reference = Double(versions) / firstSync.seconds
        let size = BenchTable().format(Double(versions))
        table.add("bundle create of \(size) versions, real process", rate: Double(versions) / create.seconds,
                  reference: reference, unit: "versions/s", referenceName: "first sync, same run")
        table.add("bundle apply of \(size) versions, real process", rate: Double(versions) / apply.seconds,
                  reference: reference, unit: "versions/s", referenceName: "first sync, same run")
        table.add("  file size, peak memory create / apply",
                  value: "\(String(format: "%.1f", Double(bytes) / Double(versions))) B per version; \(megabytes(create.peakMemory)) / \(megabytes(apply.peakMemory))",
                  target: "target < 150 MB each; the first sync's client: \(megabytes(firstSync.peakMemory))")
        let (bundled, wire) = try Self.smallEditSizes(edits)
        table.add("bundle size of a small register edit, batch of \(edits)", cost: bundled, reference: wire, unit: "B", referenceName: "the same push on the wire")
    }

    /// Bytes per edit of a bundle of `edits` small register edits, and of the binary push of
    /// the same versions.
    static func smallEditSizes(_ edits: Int) throws -> (bundle: Double, wire: Double) {
        let replica = try Replica.inMemory(analyst: "alice")
        let versions = try replica.write(Wire.smallEdits(edits), at: WallClock.now())
        let made = try replica.makeBundle(beyond: nil, at: WallClock.now())
        let push = SyncRequest(replica: replica.id, vector: try replica.store.versionVector(), versions: versions)
        return (Double(made.file.count) / Double(edits), Double(BinaryWire.encode(push).count) / Double(edits))
    }
}
