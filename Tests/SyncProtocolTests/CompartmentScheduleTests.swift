import Foundation
import LocalStore
import PostgresStore
import StoreKinds
import SyncClientCore
import SyncModel
import SyncProtocol
import Testing
import TestSupport
import ThrowawayPostgres

/// Need-to-know under random schedules of grants, revokes, moves, creates, writes, syncs and
/// bundles handed from one analyst to another, across four analysts and three compartments, on a server store and real replicas (in
/// memory), each seeded and reproducible with `SYNC_TEST_SEED`. After each schedule's final
/// syncs every replica holds exactly the records its analyst may read, each with the fields,
/// conflicts and history of a replica cleared for everything; no answer ever carried a record
/// outside its receiver's clearances, nor did a bundle its sender made just after a sync; and
/// every write is on the server or in a set-aside file.
/// A seed makes the same schedule on every store.
///
/// A thousand schedules started at once would queue a thousand tasks on Swift's cooperative pool
/// (two threads here), and every PostgreSQL operation of the suite running beside them would wait
/// behind them past its 30 s deadline; so a few schedules run at a time, which keeps both cores
/// as busy.
@Suite struct CompartmentScheduleTests {
    static let seeds = testSeeds(count: 1_000, base: 0xC0A7_0000)
    static let sqliteSlots = Slots(width: 4)
    static let postgresSlots = Slots(width: 6)

    @Test(arguments: seeds)
    func everyReplicaHoldsExactlyWhatItsClearancesAllow(seed: UInt64) async throws {
        try await Self.sqliteSlots.withSlot { try await Self.check(seed: seed, on: [try SQLiteServerStore.inMemory()]) }
    }

    @Test("the same on PostgreSQL, the schedule's steps spread over two instances", arguments: seeds.prefix(50))
    func everyReplicaHoldsExactlyWhatItsClearancesAllowOnPostgres(seed: UInt64) async throws {
        try await Self.postgresSlots.withSlot {
            let url = try await PostgresCluster.shared().makeDatabase()
            var instances: [PostgresServerStore] = []
            defer { for instance in instances { instance.close() } }
            for _ in 0..<2 { instances.append(try await PostgresServerStore.inTest(url)) }
            try await Self.check(seed: seed, on: instances)
        }
    }

    static func check(seed: UInt64, on servers: [any InspectableStorage]) async throws {
        var schedule = try await Schedule(seed: seed, servers: servers)
        try await schedule.run(steps: 20)
        let problems = try await schedule.finish()
        #expect(problems.isEmpty, "seed \(seed) (rerun with SYNC_TEST_SEED=\(seed)):\n\(problems.prefix(8).joined(separator: "\n"))\nsteps:\n\(schedule.steps.joined(separator: "\n"))")
    }
}

/// One random schedule and what it checks.
private struct Schedule {
    static let analysts = ["a0", "a1", "a2", "a3"]
    static let compartments = ["default", "east", "west"]

    var random: SplitMix64
    /// Instances of one store: each step goes to the next, in turn.
    let servers: [any InspectableStorage]
    var replicas: [String: Replica] = [:]
    /// Every version any replica wrote.
    var written: [Version] = []
    var nextNumber: Int64 = 1
    var steps: [String] = []
    let messages = MessageCheck()

    /// The instance the next step goes to.
    var server: any InspectableStorage { servers[steps.count % servers.count] }

    init(seed: UInt64, servers: [any InspectableStorage]) async throws {
        random = SplitMix64(seed: seed)
        self.servers = servers
        let server = servers[0]
        for compartment in Self.compartments.dropFirst() { try await server.addCompartment(compartment, at: 0) }
        for (index, name) in Self.analysts.enumerated() {
            try await server.addAnalyst(name: name, tokenHash: "hash-\(name)", at: 0)
            var ids = SplitMix64(seed: seed &+ UInt64(index) &* 7919)
            replicas[name] = try Replica.inMemory(analyst: name, id: ReplicaID(uuid: UUID(uuid: Self.bytes(&ids))))
        }
    }

    static func bytes(_ random: inout SplitMix64) -> uuid_t {
        var raw = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        return (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15])
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    mutating func run(steps count: Int) async throws {
        for _ in 0..<count {
            let analyst = pick(Self.analysts)
            let replica = replicas[analyst]!
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<18: try create(replica)
            case 18..<40: try edit(replica)
            case 40..<48: try signal(replica)
            case 48..<66: try await sync(analyst)
            case 66..<72: try await bundle(from: analyst, to: pick(Self.analysts.filter { $0 != analyst }))
            case 72..<82:
                let compartment = pick(Self.compartments), write = Bool.random(using: &random)
                try await server.grant(analyst: analyst, compartment: compartment, write: write)
                steps.append("grant \(analyst) \(compartment) write=\(write)")
            case 82..<92:
                let compartment = pick(Self.compartments)
                _ = try await server.revokeClearance(analyst: analyst, compartment: compartment)
                steps.append("revoke \(analyst) \(compartment)")
            default:
                let cells = try replicas.values.flatMap { try $0.store.records(kind: "cell", includeDeleted: true).map(\.id) }
                guard !cells.isEmpty else { continue }
                let cell = pick(cells.sorted()), compartment = pick(Self.compartments)
                do {
                    try await server.move(record: cell, to: compartment, by: nil, at: 0)
                    steps.append("move \(cell.short) to \(compartment)")
                } catch CompartmentError.recordNotFound {
                    continue
                }
            }
        }
    }

    /// A cell in a compartment the analyst may write (as their replica last learnt), or their default.
    mutating func create(_ replica: Replica) throws {
        let writable = try replica.clearances().filter(\.write).map(\.compartment)
        let id = RecordID(UUID(uuid: Self.bytes(&random)).uuidString)!
        let home = writable.isEmpty ? nil : pick(writable.sorted())
        if let home { try replica.setHome(record: id, compartment: home) }
        let number = nextNumber
        nextNumber += 1
        try write(replica, [FieldChange(record: id, kind: "cell", field: "number", value: .int(number)),
                            FieldChange(record: id, kind: "cell", field: "title", value: .text("cell \(number)"))])
        steps.append("\(replica.analyst) creates cell \(number) in \(home ?? "their default")")
    }

    mutating func edit(_ replica: Replica) throws {
        let records = try replica.store.records(kind: "cell") + replica.store.records(kind: "signal")
        guard !records.isEmpty else { return }
        let record = pick(records.sorted { $0.id < $1.id })
        let text = "\(replica.analyst) \(UInt16.random(in: 0...UInt16.max, using: &random))"
        try write(replica, [FieldChange(record: record.id, kind: record.kind, field: "title", value: .text(text))])
        steps.append("\(replica.analyst) sets \(record.kind) \(record.id.short) title")
    }

    /// A new signal, or new tags on one held; cells named by number or by id, as replicas store them.
    mutating func signal(_ replica: Replica) throws {
        let cells = try replica.store.records(kind: "cell").sorted { $0.id < $1.id }
        guard !cells.isEmpty else { return }
        let tags = Array(Set((0..<2).map { _ -> String in
            let cell = pick(cells)
            return Bool.random(using: &random) ? cell.id.rawValue : cell.value("number").int.map(String.init) ?? cell.id.rawValue
        })).sorted()
        let signals = try replica.store.records(kind: "signal").sorted { $0.id < $1.id }
        if !signals.isEmpty && Bool.random(using: &random) {
            let signal = pick(signals)
            try write(replica, [FieldChange(record: signal.id, kind: "signal", field: "cells", value: .list(tags))])
            steps.append("\(replica.analyst) retags signal \(signal.id.short) to \(tags)")
            return
        }
        let id = RecordID(UUID(uuid: Self.bytes(&random)).uuidString)!
        try write(replica, [FieldChange(record: id, kind: "signal", field: "title", value: .text("signal by \(replica.analyst)")),
                            FieldChange(record: id, kind: "signal", field: "cells", value: .list(tags))])
        steps.append("\(replica.analyst) tags a signal \(id.short) to \(tags)")
    }

    /// Writes, or notes that the replica refused a write it may not make.
    mutating func write(_ replica: Replica, _ changes: [FieldChange]) throws {
        do {
            written += try replica.write(changes, at: 1)
        } catch StoreError.notClearedToWrite {
            steps.append("  (refused locally)")
        }
    }

    mutating func sync(_ analyst: String) async throws {
        let pageSize = Int.random(in: 2...40, using: &random)
        let transport = CheckingTransport(server: server, analyst: analyst, messages: messages)
        do {
            let outcome = try await ReplicaSync(pageSize: pageSize).run(replica: replicas[analyst]!, server: "test", over: transport)
            steps.append("\(analyst) syncs (pages of \(pageSize)): sent \(outcome.stats.sent), received \(outcome.stats.received)\(outcome.removed.isEmpty ? "" : ", " + outcome.removed.map(\.sentence).joined(separator: "; "))")
        } catch {
            messages.note("\(analyst)'s sync failed: \(error)")
            steps.append("\(analyst) sync FAILED: \(error)")
        }
    }

    /// The sender syncs (so that what it knows of clearances and compartments is the server's
    /// word now), makes a bundle for the receiver, checks that it carries only records the
    /// receiver may read, and the receiver applies it, or refuses it for a stated reason.
    mutating func bundle(from sender: String, to receiver: String) async throws {
        try await sync(sender)
        let replica = replicas[sender]!
        let filter: BundleFilter?
        do {
            filter = try replica.bundleFilter(for: receiver)
        } catch BundleFilterError.unknownReceiver {
            steps.append("\(sender) cannot bundle for \(receiver): not told what they read")
            return
        }
        let made = try replica.makeBundle(beyond: VersionVector(), filter: filter, at: 1)
        let read = Set(try await server.clearances(analyst: receiver).map(\.clearance.compartment))
        for record in Set(made.bundle.versions.map(\.record)) {
            let compartments = Set(try await server.compartments(of: record) ?? [Compartment.defaultName])
            if !compartments.isSubset(of: read) {
                messages.note("\(sender)'s bundle for \(receiver) (cleared for \(read.sorted())) carried \(record.short) of \(compartments.sorted())")
            }
        }
        let bundle = try VersionBundle.read(made.data)
        do {
            let applied = try replicas[receiver]!.apply(bundle)
            steps.append("\(sender) bundles \(bundle.versions.count) versions for \(receiver) (left out \(made.withheld) + \(made.entangled)): new \(applied.report.new)")
        } catch let error as StoreError {
            steps.append("\(receiver) refuses \(sender)'s bundle: \(error)")
        } catch let error as BundleError {
            steps.append("\(receiver) refuses \(sender)'s bundle: \(error)")
        }
    }

    /// Every version the server holds, as the reference analyst (cleared for everything) pulls
    /// them by vector.
    func everything() async throws -> [Version] {
        var versions: [Version] = [], vector = VersionVector()
        while true {
            let page = try await server.exchange(analyst: "ref", clientVector: vector, versions: [], pageLimit: 1_000, at: 0)
            versions += page.versions
            for version in page.versions where version.dot.counter > vector[version.dot.replica] { vector[version.dot.replica] = version.dot.counter }
            if !page.more { return versions }
        }
    }

    /// Syncs everyone until quiet, then compares each replica with one cleared for everything.
    mutating func finish() async throws -> [String] {
        for _ in 0..<2 { for analyst in Self.analysts { try await sync(analyst) } }
        try await server.addAnalyst(name: "ref", tokenHash: "hash-ref", at: 0)
        for compartment in Self.compartments { try await server.grant(analyst: "ref", compartment: compartment, write: false) }
        let reference = try Replica.inMemory(analyst: "ref")
        _ = try await ReplicaSync().run(replica: reference, server: "test", over: CheckingTransport(server: server, analyst: "ref", messages: messages))
        var problems = messages.problems
        let all = try reference.store.records(kind: "cell", includeDeleted: true) + reference.store.records(kind: "signal", includeDeleted: true)
        for analyst in Self.analysts {
            let replica = replicas[analyst]!
            let read = Set(try await server.clearances(analyst: analyst).map(\.clearance.compartment))
            var allowed: [RecordSnapshot] = []
            for record in all where Set(try await server.compartments(of: record.id) ?? []).isSubset(of: read) { allowed.append(record) }
            let held = try replica.store.records(kind: "cell", includeDeleted: true) + replica.store.records(kind: "signal", includeDeleted: true)
            if Set(held.map(\.id)) != Set(allowed.map(\.id)) {
                problems.append("\(analyst) (cleared for \(read.sorted())) holds \(held.map(\.id.short).sorted()), should hold \(allowed.map(\.id.short).sorted())")
                continue
            }
            for record in allowed {
                let mine = try replica.store.record(record.id)
                if mine != record { problems.append("\(analyst)'s \(record.id.short) differs: \(String(describing: mine)) vs \(record)") }
                let history = try replica.store.history(record: record.id).map(\.dot).sorted()
                if history != (try reference.store.history(record: record.id).map(\.dot).sorted()) {
                    problems.append("\(analyst)'s history of \(record.id.short) differs")
                }
            }
        }
        // Nothing written is lost: it is on the server, or in a set-aside file.
        var kept = Set(try await everything().map(\.dot))
        for replica in replicas.values {
            for file in try replica.removals().compactMap(\.setAside) {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                let versions = try JSONDecoder().decode(SetAsideFile.self, from: data).versions
                kept.formUnion(versions.map(\.dot))
            }
        }
        for version in written where !kept.contains(version.dot) {
            problems.append("\(version.author)'s write \(version.dot) of \(version.record.short).\(version.field) was lost")
        }
        return problems
    }
}

/// The set-aside file's shape, as a person or a script reads it.
private struct SetAsideFile: Decodable {
    var versions: [Version]
}

/// Findings from every message of a schedule.
private final class MessageCheck: @unchecked Sendable {
    private let lock = NSLock()
    private var found: [String] = []

    func note(_ problem: String) { lock.withLock { found.append(problem) } }
    var problems: [String] { lock.withLock { found } }
}

/// The server's policy in this process, checking every answer: each version it carries must be
/// of a record whose compartments the receiver is cleared to read at that moment.
private struct CheckingTransport: SyncTransport {
    let server: any InspectableStorage
    let analyst: String
    let messages: MessageCheck

    func send(_ request: SyncRequest) async throws -> SyncResponse {
        func transport(_ store: some ServerStorage) -> any SyncTransport { InProcessTransport(store: store, analyst: analyst, pageLimit: 40) }
        let response = try await transport(server).send(request)
        let read = Set(try await server.clearances(analyst: analyst).map(\.clearance.compartment))
        for record in Set(response.versions.map(\.record)) {
            let compartments = try await server.compartments(of: record) ?? []
            if !Set(compartments).isSubset(of: read) {
                messages.note("an answer to \(analyst) (cleared for \(read.sorted())) carried \(record.short) of \(compartments)")
            }
        }
        return response
    }
}
