import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// A replica that joined shallow against one that joined in full, under random schedules of
/// writes (concurrent prose, list, set and register edits, deletes) and syncs by three writers
/// who stay offline for a while, seeded and reproducible with `SYNC_TEST_SEED`. Whenever both
/// have synced to the same point their field states (values, heads, joins, conflict ids) are
/// the same; once the shallow one's history has come, the two files hold the same versions,
/// records and states.
@Suite struct ShallowJoinScheduleTests {
    static let seeds = testSeeds(count: 60, base: 0x5AA1_0000)

    @Test(arguments: seeds)
    func aShallowReplicaMergesAsAFullOneAndEndsIdentical(seed: UInt64) async throws {
        var schedule = try ShallowSchedule(seed: seed)
        let problems = try await schedule.run()
        #expect(problems.isEmpty, "seed \(seed) (rerun with SYNC_TEST_SEED=\(seed)):\n\(problems.prefix(6).joined(separator: "\n"))\nsteps:\n\(schedule.steps.joined(separator: "\n"))")
    }

    @Test func underCompartmentsAShallowReplicaGetsWhatAFullOneOfItsAnalystGets() async throws {
        // Given alice writing cells in default and east, bob cleared for default only
        let server = try SQLiteServerStore.inMemory()
        for name in ["alice", "bob"] { try server.addAnalyst(name: name, tokenHash: name, at: 0) }
        try server.addCompartment("east", at: 0)
        try server.grant(analyst: "alice", compartment: "east", write: true)
        let alice = try Replica.inMemory(analyst: "alice")
        _ = try await ReplicaSync().run(replica: alice, server: "test", over: InProcessTransport(store: server, analyst: "alice"))
        var secret: [RecordID] = []
        for number in 1...6 {
            let id = RecordID.random()
            if number.isMultiple(of: 2) {
                try alice.setHome(record: id, compartment: "east")
                secret.append(id)
            }
            try alice.write([FieldChange(record: id, kind: "cell", field: "number", value: .int(Int64(number))),
                             FieldChange(record: id, kind: "cell", field: "title", value: .text(number.isMultiple(of: 2) ? "sentinel \(number)" : "open \(number)"))], at: Int64(number))
            for round in 1...3 { try alice.write([FieldChange(record: id, kind: "cell", field: "trend", value: .text("round \(round)"))], at: Int64(10 * number + round)) }
        }
        _ = try await ReplicaSync().run(replica: alice, server: "test", over: InProcessTransport(store: server, analyst: "alice"))
        // When bob joins in full on one replica and shallow on another, then brings the history
        let full = try Replica.inMemory(analyst: "bob"), shallow = try Replica.inMemory(analyst: "bob")
        try shallow.requestShallowJoin()
        _ = try await ReplicaSync(pageSize: 3).run(replica: full, server: "test", over: InProcessTransport(store: server, analyst: "bob"))
        let joined = try await ReplicaSync(pageSize: 2).run(replica: shallow, server: "test", over: InProcessTransport(store: server, analyst: "bob"))
        #expect(joined.shallow == 3 * 3, "the three open cells' heads only: \(String(describing: joined.shallow))")
        #expect(try shallow.store.record(secret[0]) == nil)
        _ = try await ReplicaSync(pageSize: 2, historyPages: .max).run(replica: shallow, server: "test", over: InProcessTransport(store: server, analyst: "bob"))
        // Then both hold the same file, and nothing of east
        #expect(try shallow.pendingHistory() == nil)
        #expect(try shallow.store.canonicalDump() == full.store.canonicalDump())
        #expect(try !shallow.store.canonicalDump().contains("sentinel") && shallow.store.versionCount() == 3 * 5)
    }
}

/// One random schedule: writers make history, then a full and a shallow replica join, and the
/// writers go on while both follow.
private struct ShallowSchedule {
    static let fields = ["title", "trajectory", "assessment", "keyIndicators", "commitments", "_deleted"]

    var random: SplitMix64
    let server: SQLiteServerStore
    var writers: [Replica] = []
    var records: [RecordID] = []
    var time: Int64 = 1
    var steps: [String] = []

    init(seed: UInt64) throws {
        print("ShallowJoinScheduleTests seed \(seed)")
        random = SplitMix64(seed: seed)
        server = try SQLiteServerStore.inMemory()
        for name in ["w0", "w1", "w2", "dave"] { try server.addAnalyst(name: name, tokenHash: name, at: 0) }
        for name in ["w0", "w1", "w2"] { writers.append(try Replica.inMemory(analyst: name)) }
    }

    mutating func run() async throws -> [String] {
        for number in 1...4 {
            let record = RecordID.random()
            records.append(record)
            try writers[0].write([FieldChange(record: record, kind: "cell", field: "number", value: .int(Int64(number))),
                                  FieldChange(record: record, kind: "cell", field: "title", value: .text("Cell \(number)"))], at: tick())
        }
        for writer in writers { try await sync(writer) }
        for _ in 0..<40 { try await step() }
        let full = try Replica.inMemory(analyst: "dave")
        let shallow = try Replica.inMemory(analyst: "dave")
        try shallow.requestShallowJoin()
        var problems: [String] = []
        try await follow(full, shallow, &problems)
        for _ in 0..<40 {
            try await step()
            if Int.random(in: 0..<4, using: &random) == 0 { try await follow(full, shallow, &problems) }
        }
        for _ in 0..<2 { for writer in writers { try await sync(writer) } }
        _ = try await ReplicaSync(pageSize: 7).run(replica: full, server: "test", over: transport(full))
        let outcome = try await ReplicaSync(pageSize: Int.random(in: 2...9, using: &random), historyPages: .max)
            .run(replica: shallow, server: "test", over: transport(shallow))
        steps.append("shallow --history: \(outcome.history) versions")
        if try shallow.pendingHistory() != nil { problems.append("the history is still pending after sync --history") }
        if try full.store.canonicalDump() != shallow.store.canonicalDump() {
            problems.append("after the history came, the files differ:\n" + Self.difference(try full.store.canonicalDump(), try shallow.store.canonicalDump()))
        }
        return problems
    }

    /// Both replicas sync to the same point (no writer syncs between them); their field states must agree.
    mutating func follow(_ full: Replica, _ shallow: Replica, _ problems: inout [String]) async throws {
        _ = try await ReplicaSync(pageSize: 7).run(replica: full, server: "test", over: transport(full))
        let pages = Int.random(in: 0...1, using: &random)
        let outcome = try await ReplicaSync(pageSize: Int.random(in: 2...9, using: &random), historyPages: pages)
            .run(replica: shallow, server: "test", over: transport(shallow))
        steps.append("follow: shallow brought \(outcome.shallow.map { "\($0) joining, " } ?? "")\(outcome.history) of history")
        if steps.filter({ $0.hasPrefix("follow") }).count == 1, outcome.shallow == nil || outcome.history > 0 {
            problems.append("the first sync did not join shallow, or brought history with the join")
        }
        if try shallow.store.versionCount() > full.store.versionCount() { problems.append("the shallow replica holds more versions than the full one") }
        let fullFields = Self.fieldLines(try full.store.canonicalDump())
        let shallowFields = Self.fieldLines(try shallow.store.canonicalDump())
        if fullFields != shallowFields {
            problems.append("field states differ after step \(steps.count):\n" + Self.difference(fullFields, shallowFields))
        }
        if try full.store.conflicts().map(\.id) != shallow.store.conflicts().map(\.id) { problems.append("conflict ids differ after step \(steps.count)") }
    }

    mutating func step() async throws {
        let index = Int.random(in: 0..<writers.count, using: &random)
        let writer = writers[index]
        if Int.random(in: 0..<3, using: &random) == 0 {
            try await sync(writer)
            steps.append("w\(index) syncs")
            return
        }
        let record = records[Int.random(in: 0..<records.count, using: &random)]
        let name = Self.fields[Int.random(in: 0..<Self.fields.count, using: &random)]
        guard let schema = SchemaRegistry.standard["cell"]?.field(name) else {
            Issue.record("the cell schema has no field '\(name)': the schedule's fields are out of date")
            return
        }
        let current = try writer.store.record(record)?.value(name)
        let value = name == RecordSchema.deletedFieldName ? .bool(Int.random(in: 0..<3, using: &random) == 0)
            : RandomValues.value(for: schema, current: current, using: &random)
        try writer.write([FieldChange(record: record, kind: "cell", field: name, value: value)], at: tick())
        steps.append("w\(index) sets \(record.short) \(name)")
    }

    mutating func tick() -> Int64 {
        time += 1
        return time
    }

    func sync(_ replica: Replica) async throws {
        _ = try await ReplicaSync(pageSize: 5).run(replica: replica, server: "test", over: transport(replica))
    }

    func transport(_ replica: Replica) -> InProcessTransport<SQLiteServerStore> {
        InProcessTransport(store: server, analyst: replica.analyst)
    }

    static func fieldLines(_ dump: String) -> String {
        dump.split(separator: "\n").filter { $0.hasPrefix("field ") || $0.hasPrefix("record ") }.joined(separator: "\n")
    }

    static func difference(_ left: String, _ right: String) -> String {
        let a = Set(left.split(separator: "\n")), b = Set(right.split(separator: "\n"))
        return (a.subtracting(b).sorted().prefix(4).map { "full only:    \($0)" } + b.subtracting(a).sorted().prefix(4).map { "shallow only: \($0)" })
            .joined(separator: "\n")
    }
}
