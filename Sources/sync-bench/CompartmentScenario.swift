import ArgumentParser
import Foundation
import GRDB
import LocalStore
import SyncModel
import SyncProtocol
import SyncServerCore

/// Need-to-know's cost: an analyst cleared for 3 of 10 compartments against one cleared for all.
struct CompartmentBench: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "compartments",
        abstract: "First and no-op syncs of an analyst cleared for 3 of 10 compartments vs one cleared for all, real processes (target: no more than their share)."
    )
    @Option(help: "Versions on the server, spread over 10 compartments.") var versions = 300_000
    @Option(help: "No-op syncs timed for each analyst (the median is shown).") var rounds = 5

    func validate() throws {
        try require("--versions", versions, atLeast: 100)
        try require("--rounds", rounds, atLeast: 1)
    }

    func run() async throws { try await runAlone() }

    static let compartments = (0..<10).map { "c\($0)" }

    func run(into table: inout BenchTable) async throws {
        let folder = try BenchFolder()
        let server = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
        var tokens: [String: String] = [:]
        for name in ["writer", "all", "three"] {
            tokens[name] = TokenHasher.makeToken(analyst: name)
            try server.addAnalyst(name: name, tokenHash: TokenHasher.hash(tokens[name]!), at: 0)
        }
        for (index, compartment) in Self.compartments.enumerated() {
            try server.addCompartment(compartment, at: 0)
            try server.grant(analyst: "writer", compartment: compartment, write: true)
            try server.grant(analyst: "all", compartment: compartment, write: false)
            if index < 3 { try server.grant(analyst: "three", compartment: compartment, write: false) }
        }
        // The writer's records, each placed in one of the ten compartments in turn.
        let source = try BenchFixtures.replica(at: folder.path("source.sqlite"), versions: versions, analyst: "writer")
        let records = try source.store.records(kind: "cell").map(\.id).sorted()
        var homes: [RecordID: String] = [:]
        for (index, record) in records.enumerated() { homes[record] = Self.compartments[index % 10] }
        try source.setHomes(homes)
        try await BenchFixtures.seed(server, analyst: "writer", from: source)
        try server.close()
        let expected = try Self.versionsIn(first: 3, of: source, homes: homes)

        let process = try BenchServer(database: folder.path("server.sqlite"))
        defer { process.stop() }
        var first: [String: TimedRun] = [:], noOp: [String: [Double]] = [:]
        for name in ["all", "three"] {
            let replica = folder.path("\(name).sqlite")
            _ = try runTimed("sync-client", ["init", "--replica", replica, "--server", process.url, "--token", tokens[name]!])
            first[name] = try runTimed("sync-client", ["sync", "--replica", replica])
            noOp[name] = try (0..<rounds).map { _ in try runTimed("sync-client", ["sync", "--replica", replica]).seconds }.sorted()
        }
        let threeHolds = try Self.heldVersions(folder.path("three.sqlite"))
        guard threeHolds == expected else {
            throw BenchError("the analyst cleared for 3 compartments holds \(threeHolds) versions, expected \(expected)")
        }
        let fraction = Double(expected) / Double(versions)
        table.add("first sync, cleared for 3 of 10 compartments (\(BenchTable().format(Double(expected))) versions)", cost: first["three"]!.seconds * 1000,
                  reference: first["all"]!.seconds * 1000 * fraction, unit: "ms",
                  referenceName: "cleared for all, \(String(format: "%.0f", fraction * 100)) % of its time")
        table.add("no-op sync, cleared for 3 of 10", cost: noOp["three"]![rounds / 2] * 1000, reference: noOp["all"]![rounds / 2] * 1000, unit: "ms",
                  referenceName: "cleared for all")
        table.add("  peak memory, first sync cleared for 3 / for all", value: "\(megabytes(first["three"]!.peakMemory)) / \(megabytes(first["all"]!.peakMemory))",
                  target: "target < 150 MB each")
    }

    /// How many of `source`'s versions are of records in the first `count` compartments.
    static func versionsIn(first count: Int, of source: Replica, homes: [RecordID: String]) throws -> Int {
        let wanted = Set(compartments.prefix(count))
        var total = 0
        for record in homes.keys where wanted.contains(homes[record]!) {
            total += try source.store.history(record: record).count
        }
        return total
    }

    /// The versions a replica file holds.
    static func heldVersions(_ path: String) throws -> Int {
        let file = try DatabaseQueue(path: path)
        defer { try? file.close() }
        return try file.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM version") ?? 0 }
    }
}
