import ArgumentParser
import Foundation
import LinkEmulation
import LocalStore
import SyncModel
import SyncProtocol
import SyncServerCore

struct ShallowJoinBench: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "shallow-join",
        abstract: "A shallow join next to a full join of the same history, real processes through a link emulated at 64 kbit/s each way with 600 ms round trips (target: usable in ≤ 1/20 of the full join's time)."
    )
    @Option(help: "Versions on the server the shallow join reads.") var versions = 1_000_000
    @Option(help: "Records they are spread over (each gets versions / records of them).") var records = 10_000
    @Option(help: "Versions of the history the full join is measured on: the first of the same history (the same records, written in the same order); its figures are scaled to --versions.")
    var fullVersions = 50_000
    @Option(help: "Seed of the emulated link (it is not cut).") var seed: UInt64 = 47

    func validate() throws {
        try require("--records", records, atLeast: 1)
        guard versions / records >= 2, fullVersions >= 2 * records, fullVersions <= versions else {
            throw ValidationError("--versions and --full-versions must give each record at least two versions (its number and title), and --full-versions be at most --versions")
        }
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let figures = try await ShallowJoinFigures.measure(versions: versions, records: records, fullVersions: fullVersions, seed: seed)
        figures.add(to: &table)
    }
}

/// The shallow join's figures, kept apart from the command so another scenario can run them.
struct ShallowJoinFigures {
    /// One join as the client saw it: its wall time, and what crossed.
    struct Join {
        var seconds: Double
        var requests: Int
        var bytes: Int
        var versions: Int

        /// The time on a link of `bytesPerSecond` each way and `roundTrip` seconds: the measured
        /// work, plus every byte (bodies and about 400 bytes of HTTP headers a request) and a
        /// round trip a request.
        func seconds(bytesPerSecond: Double, roundTrip: Double) -> Double {
            seconds + Double(bytes + 400 * requests) / bytesPerSecond + Double(requests) * roundTrip
        }

        func scaled(by factor: Double) -> Join {
            Join(seconds: seconds * factor, requests: Int((Double(requests) * factor).rounded(.up)), bytes: Int(Double(bytes) * factor),
                 versions: Int(Double(versions) * factor))
        }
    }

    /// The link both joins go over (``Links/links``' slowest).
    static let link = Links.links[2]

    var versions: Int
    var records: Int
    /// Both joins through the emulated link, their wall times measured.
    var shallow: Join
    var cellShow: Double
    /// The full join as measured, on the history's first versions.
    var fullMeasured: Join
    /// The history after the shallow join, on the loopback (its time on the link is computed).
    var history: Join

    /// Builds the history, joins it shallow through the emulated link (then brings its history
    /// on the loopback, checking it is all there), and joins its first `fullVersions` in full
    /// through the same link, with real `sync-server` and `sync-client`.
    static func measure(versions: Int, records: Int, fullVersions: Int, seed: UInt64) async throws -> ShallowJoinFigures {
        let ids = (0..<records).map { _ in RecordID.random() }
        let folder = try BenchFolder()
        let (shallow, show, history) = try await shallowJoin(versions: versions, records: ids, seed: seed, in: folder)
        // The full join, of the same history's first versions: the same records, so each page
        // names as many of them as the whole history's pages do.
        let origin = try await server(versions: fullVersions, records: ids)
        defer { origin.stop() }
        let relay = try ThrottlingRelay(to: origin.server.port, profile: link.relay!, seed: seed)
        defer { relay.stop() }
        let fullMeasured = try join(folder.path("full.sqlite"), from: relay.url, token: origin.token, shallow: false)
        guard fullMeasured.versions == fullVersions else { throw BenchError("the full join brought \(fullMeasured.versions) of \(fullVersions) versions") }
        return ShallowJoinFigures(versions: versions, records: records, shallow: shallow, cellShow: show, fullMeasured: fullMeasured, history: history)
    }

    /// The full join scaled from the versions it was measured on to the whole history's.
    var full: Join { fullMeasured.scaled(by: Double(versions) / Double(fullMeasured.versions)) }

    /// The shallow join through the emulated link, `cell show` after it, and the history on the
    /// loopback, checked complete.
    private static func shallowJoin(versions: Int, records ids: [RecordID], seed: UInt64, in folder: BenchFolder) async throws -> (Join, Double, Join) {
        let origin = try await server(versions: versions, records: ids)
        defer { origin.stop() }
        let relay = try ThrottlingRelay(to: origin.server.port, profile: link.relay!, seed: seed)
        defer { relay.stop() }
        let path = folder.path("shallow.sqlite")
        let shallow = try join(path, from: relay.url, token: origin.token, shallow: true)
        let show = try runTimed("sync-client", ["cell", "show", "1", "--replica", path])
        guard show.output.contains("number") || show.output.contains("Cell 1") else { throw BenchError("cell show did not answer after the shallow join: \(show.output)") }
        let history = try join(path, ["--history", "--server", origin.server.url])
        let held = try Replica.open(path: path).store.versionCount()
        guard held == versions else { throw BenchError("after sync --history the shallow replica holds \(held) of \(versions) versions") }
        return (shallow, show.seconds, history)
    }

    /// A new replica at `path` made with `init` against `url`, shallow or not, and its first `sync`.
    static func join(_ path: String, from url: String, token: String, shallow: Bool) throws -> Join {
        _ = try runTimed("sync-client", ["init", "--replica", path, "--server", url, "--token", token] + (shallow ? ["--shallow"] : []))
        return try join(path)
    }

    /// A `sync` of the replica at `path` (page size 20,000, the default), as its `--json` reports it.
    static func join(_ path: String, _ extra: [String] = []) throws -> Join {
        let (answer, seconds) = try syncJSON(["--replica", path] + extra)
        let bytes = (answer["sentBytes"] as? Int ?? 0) + (answer["receivedBytes"] as? Int ?? 0)
        let brought = (answer["received"] as? Int ?? 0) + (answer["shallow"] as? Int ?? 0) + (answer["history"] as? Int ?? 0)
        return Join(seconds: seconds, requests: answer["requests"] as? Int ?? 0, bytes: bytes, versions: brought)
    }

    /// A `sync-server` serving `versions` versions over `records` cells: each cell's number and
    /// title, then edits of its trend, tier and title in turn, written round-robin across the
    /// cells as a team's work interleaves.
    static func server(versions: Int, records: Int) async throws -> HistoryServer {
        try await server(versions: versions, records: (0..<records).map { _ in RecordID.random() })
    }

    /// The same over the records `ids`, in their order.
    static func server(versions: Int, records ids: [RecordID]) async throws -> HistoryServer {
        let folder = try BenchFolder()
        let token = TokenHasher.makeToken(analyst: "alice")
        let writer = try Replica.create(path: folder.path("writer.sqlite"), settings: ReplicaSettings(server: "http://127.0.0.1:1", token: token, analyst: "alice"))
        var changes: [FieldChange] = []
        for (index, id) in ids.enumerated() {
            changes.append(FieldChange(record: id, kind: "cell", field: "number", value: .int(Int64(index + 1))))
            changes.append(FieldChange(record: id, kind: "cell", field: "title", value: .text("Cell \(index + 1)")))
        }
        let edits = [("trend", "Improving with execution-tempo variation"), ("tier", "Tier"), ("title", "Cell title")]
        var written = 0
        for round in 0... {
            for (index, id) in ids.enumerated() where changes.count + written < versions {
                let (field, text) = edits[round % edits.count]
                changes.append(FieldChange(record: id, kind: "cell", field: field, value: .text("\(text) \(round)-\(index)")))
            }
            if changes.count >= 50_000 || changes.count + written >= versions {
                try writer.write(changes, at: WallClock.now())
                written += changes.count
                changes = []
            }
            if written >= versions { break }
        }
        let store = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        try store.addAnalyst(name: "alice", tokenHash: TokenHasher.hash(token), at: 0)
        try await BenchFixtures.seed(store, analyst: "alice", from: writer)
        try store.close()
        return HistoryServer(server: try BenchServer(database: folder.path("server.sqlite")), token: token, folder: folder)
    }

    /// A server ``server(versions:records:)`` started, with the token of its analyst and the
    /// folder its file is in (removed once nothing holds it).
    struct HistoryServer {
        var server: BenchServer
        var token: String
        var folder: BenchFolder

        func stop() { server.stop() }
    }

    /// Rows: both joins over the link, the ratio against the target, and the history.
    func add(to table: inout BenchTable) {
        let usable = shallow.seconds + cellShow
        let size = "\(table.format(Double(versions))) versions over \(table.format(Double(records))) cells"
        table.add("shallow join of \(size), until `cell show` answers, \(Self.link.name)", value: String(format: "%.0f s", usable),
                  target: "\(shallow.versions) versions, \(shallow.bytes / 1000) KB in \(shallow.requests) requests, through the emulated link")
        table.add("full join of the same (its first \(table.format(Double(fullMeasured.versions))) versions joined, scaled)", value: String(format: "%.0f s", full.seconds),
                  target: String(format: "%@ KB in %d requests, %.0f s, through the emulated link", table.format(Double(fullMeasured.bytes / 1000)), fullMeasured.requests, fullMeasured.seconds))
        table.add("  shallow / full", value: String(format: "1/%.0f", full.seconds / usable), target: "target ≤ 1/20")
        let link = Self.link.relay!
        table.add("  the history after it (sync --history)", value: String(format: "%.0f s", history.seconds(bytesPerSecond: link.bytesPerSecond, roundTrip: link.roundTrip)),
                  target: "\(history.versions) versions, \(history.bytes / 1000) KB in \(history.requests) requests on the loopback, time on the link computed; then every version is held")
    }
}
