import ArgumentParser
import Foundation
import LocalStore
import SyncModel
import SyncProtocol
import SyncServerCore

struct ShallowJoinBench: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "shallow-join",
        abstract: "A shallow join next to a full join of the same history, real processes, timed as at 64 kbit/s with 600 ms round trips (target: usable in ≤ 1/20 of the full join's time)."
    )
    @Option(help: "Versions on the server the shallow join reads.") var versions = 1_000_000
    @Option(help: "Records they are spread over (each gets versions / records of them).") var records = 10_000
    @Option(help: "Versions of the history of the same shape the full join is measured on; its figures are scaled to --versions.")
    var fullVersions = 100_000

    func validate() throws {
        try require("--records", records, atLeast: 1)
        guard versions / records >= 2, fullVersions >= versions / records, fullVersions <= versions else {
            throw ValidationError("--versions must give each record at least two versions (its number and title), and --full-versions be at most --versions and hold one record's")
        }
    }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let figures = try await ShallowJoinFigures.measure(versions: versions, records: records, fullVersions: fullVersions)
        figures.add(to: &table)
    }
}

/// The shallow join's figures, kept apart from the command so another scenario can run them.
struct ShallowJoinFigures {
    /// One join as the client saw it: its wall time on the loopback, and what crossed.
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

    static let linkBytesPerSecond = 8_000.0
    static let linkRoundTrip = 0.6

    var versions: Int
    var records: Int
    var shallow: Join
    var cellShow: Double
    var history: Join
    /// The full join as measured, on `fullVersions`, and scaled to `versions`.
    var fullMeasured: Join
    var full: Join

    /// Builds both histories, joins the large one shallow (then brings its history, checking it
    /// is all there) and the small one in full, through real `sync-server` and `sync-client`.
    static func measure(versions: Int, records: Int, fullVersions: Int) async throws -> ShallowJoinFigures {
        let shallowServer = try await server(versions: versions, records: records)
        defer { shallowServer.stop() }
        let folder = try BenchFolder()
        let shallowPath = folder.path("shallow.sqlite")
        _ = try runTimed("sync-client", ["init", "--replica", shallowPath, "--server", shallowServer.url, "--token", shallowServer.token, "--shallow"])
        let shallow = try join(shallowPath)
        let show = try runTimed("sync-client", ["cell", "show", "1", "--replica", shallowPath])
        guard show.output.contains("number") || show.output.contains("Cell 1") else { throw BenchError("cell show did not answer after the shallow join: \(show.output)") }
        let history = try join(shallowPath, ["--history"])
        let held = try Replica.open(path: shallowPath).store.versionCount()
        guard held == versions else { throw BenchError("after sync --history the shallow replica holds \(held) of \(versions) versions") }
        shallowServer.stop()

        // The full join, on a history of the same shape (the same versions per record).
        let fullRecords = max(1, records * fullVersions / versions)
        let fullServer = try await server(versions: fullVersions, records: fullRecords)
        defer { fullServer.stop() }
        let fullPath = folder.path("full.sqlite")
        _ = try runTimed("sync-client", ["init", "--replica", fullPath, "--server", fullServer.url, "--token", fullServer.token])
        let fullMeasured = try join(fullPath)
        return ShallowJoinFigures(versions: versions, records: records, shallow: shallow, cellShow: show.seconds, history: history,
                                  fullMeasured: fullMeasured, full: fullMeasured.scaled(by: Double(versions) / Double(fullVersions)))
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
    static func server(versions: Int, records: Int) async throws -> (url: String, token: String, stop: () -> Void) {
        let folder = try BenchFolder()
        let token = TokenHasher.makeToken(analyst: "alice")
        let writer = try Replica.create(path: folder.path("writer.sqlite"), settings: ReplicaSettings(server: "http://127.0.0.1:1", token: token, analyst: "alice"))
        let ids = (0..<records).map { _ in RecordID.random() }
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
        let server = try BenchServer(database: folder.path("server.sqlite"))
        return (server.url, token, { server.stop(); _ = folder })
    }

    /// Rows: both joins at the link's speed, the ratio against the target, and the history.
    func add(to table: inout BenchTable) {
        let link = (bytesPerSecond: Self.linkBytesPerSecond, roundTrip: Self.linkRoundTrip)
        let usable = shallow.seconds(bytesPerSecond: link.bytesPerSecond, roundTrip: link.roundTrip) + cellShow
        let fullTime = full.seconds(bytesPerSecond: link.bytesPerSecond, roundTrip: link.roundTrip)
        let size = "\(BenchTable().format(Double(versions))) versions over \(BenchTable().format(Double(records))) cells"
        table.add("shallow join of \(size), until `cell show` answers, at 64 kbit/s, 600 ms", value: String(format: "%.0f s", usable),
                  target: "\(shallow.versions) versions, \(shallow.bytes / 1000) KB in \(shallow.requests) requests; \(String(format: "%.1f", shallow.seconds + cellShow)) s on the loopback")
        table.add("full join of the same (measured on \(BenchTable().format(Double(fullMeasured.versions))) versions, scaled)", value: String(format: "%.0f s", fullTime),
                  target: "\(full.bytes / 1000) KB in \(full.requests) requests; \(String(format: "%.1f", full.seconds)) s on the loopback")
        table.add("  shallow / full", value: String(format: "1/%.0f", fullTime / usable), target: "target ≤ 1/20")
        table.add("  the history after it (sync --history)", value: String(format: "%.0f s", history.seconds(bytesPerSecond: link.bytesPerSecond, roundTrip: link.roundTrip)),
                  target: "\(history.versions) versions, \(history.bytes / 1000) KB in \(history.requests) requests; then every version is held")
    }
}
