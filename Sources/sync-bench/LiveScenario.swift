import ArgumentParser
import AsyncHTTPClient
import Foundation
import LocalStore
import PostgresStore
import SyncClientCore
import SyncHTTP
import SyncModel
import SyncProtocol
import SyncServerCore
import ThrowawayPostgres

struct LiveBench: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Live sync against real sync-server processes: the time from a commit on one watching replica to its arrival on 1, 10 and 100 others (p50, p95; target p95 < 2 s) on SQLite and on PostgreSQL (writer and watchers on different instances); requests and server CPU with 100 idle watchers (target ≤ 3 requests per watcher per minute); shutdown with 500 parked waits (target < 2 s)."
    )
    @Option(help: "Writes timed for each number of watchers.") var writes = 20
    @Option(help: "Seconds the idle watchers are counted for.") var idleSeconds = 60
    @Option(help: "Parked waits at shutdown.") var parked = 500
    @Option(help: "The numbers of watching replicas timed, comma-separated; the largest is also the idle count.") var watchers = "1,10,100"

    func validate() throws {
        try require("--writes", writes, atLeast: 1)
        try require("--idle-seconds", idleSeconds, atLeast: 5)
        try require("--parked", parked, atLeast: 1)
        guard !counts.isEmpty, counts.allSatisfy({ (1...1000).contains($0) }) else { throw ValidationError("--watchers must be numbers from 1 to 1000, comma-separated") }
    }

    var counts: [Int] { watchers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws { try await runAlone() }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let watchers = counts
        let analysts = (0...watchers.max()!).map { "analyst\($0)" }
        let tokens = analysts.map { TokenHasher.makeToken(analyst: $0) }

        // SQLite: one instance.
        let sqlitePath = folder.path("server.sqlite")
        let sqlite = try SQLiteServerStore.open(path: sqlitePath)
        for (name, token) in zip(analysts, tokens) { try sqlite.addAnalyst(name: name, tokenHash: TokenHasher.hash(token), at: 0) }
        try sqlite.close()
        let server = try BenchServer(database: sqlitePath)
        for count in watchers {
            let figures = try await LiveRound.latency(writerURL: server.url, watcherURL: server.url, watchers: count, writes: writes,
                                                      tokens: tokens, folder: folder.path("sqlite-\(count)"))
            table.add("commit to arrival, \(count) watching replica\(count == 1 ? "" : "s"), SQLite", value: figures.text, target: "target: p95 < 2 s")
        }
        server.stop()
        // A fresh process, so that no wait of the rounds above (their watchers gone) is counted.
        let idleServer = try BenchServer(database: sqlitePath, arguments: ["--log-level", "info"], log: folder.path("idle.log"))
        let idle = try await LiveRound.idle(server: idleServer, log: folder.path("idle.log"), watchers: watchers.max()!, seconds: idleSeconds,
                                            tokens: tokens, folder: folder.path("sqlite-idle"))
        table.add("\(watchers.max()!) idle watchers for \(idleSeconds) s, SQLite", value: idle.text, target: "target: ≤ 3 requests per watcher per minute, no measurable CPU")
        idleServer.stop()

        // PostgreSQL: the writer on one instance, the watchers on another.
        let cluster = try PostgresCluster.start(durable: true)
        let url = try await cluster.makeDatabase()
        let store = try await PostgresServerStore.connect(try PostgresLocation(url: url))
        for (name, token) in zip(analysts, tokens) { try await store.addAnalyst(name: name, tokenHash: TokenHasher.hash(token), at: 0) }
        let stampTime = try await LiveRound.medianMilliseconds(runs: 200) { _ = try await store.changeStamp() }
        store.close()
        let instances = try (0..<2).map { _ in try BenchServer(database: url) }
        for count in watchers {
            let figures = try await LiveRound.latency(writerURL: instances[0].url, watcherURL: instances[1].url, watchers: count, writes: writes,
                                                      tokens: tokens, folder: folder.path("postgres-\(count)"))
            table.add("commit to arrival, \(count) watching replica\(count == 1 ? "" : "s"), PostgreSQL, another instance", value: figures.text, target: "target: p95 < 2 s")
        }
        for instance in instances { instance.stop() }
        // A fresh instance that no client ever reached: what its change watch alone costs.
        let quiet = try BenchServer(database: url)
        try await Task.sleep(for: .seconds(2))
        let quietCPU = try CPUSample(pid: quiet.process.processIdentifier)
        try await Task.sleep(for: .seconds(10))
        table.add("an idle instance's change watch (4 looks a second), PostgreSQL", value: String(format: "%.2f ms a look; %.2f %% of a core", stampTime, quietCPU.percent()),
                  target: "what a head poll costs; see docs/how-it-works.md")
        quiet.stop()

        // Shutdown with many parked waits.
        let shutdown = try await LiveRound.shutdown(parked: parked, database: folder.path("shutdown.sqlite"))
        table.add("graceful shutdown with \(parked) parked waits", cost: shutdown * 1000, reference: 2000, unit: "ms", referenceName: "target < 2 s")
    }
}
