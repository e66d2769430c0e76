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

/// The whole engine under a seeded random workload and an unreliable network (DESIGN §2.4–2.5):
/// edits (half of them as `set`, which writes nothing for a value already held), deletes,
/// resolutions, cells given the same numbers, exports taken and imported later, current or
/// stale, on replicas that hold their state or not, as they are or with a hand edit, and
/// bundles handed from one replica to another (carried on to the server by whoever syncs).
///
/// Defaults: 200 seeds × 300 operations. Raise them with `SYNC_SIM_SEEDS` and `SYNC_SIM_OPS`;
/// rerun one failure with `SYNC_TEST_SEED=<seed>`.
@Suite struct SimulationTests {
    static let operations = ProcessInfo.processInfo.environment["SYNC_SIM_OPS"].flatMap(Int.init) ?? 300
    static let seeds: [UInt64] = {
        let count = ProcessInfo.processInfo.environment["SYNC_SIM_SEEDS"].flatMap(Int.init) ?? 200
        return testSeeds(count: count, base: 900_000)
    }()

    struct Simulation {
        var random: SplitMix64
        let server: any ServerStorage
        var replicas: [Replica] = []
        var transports: [ChaosTransport] = []
        var records: [(id: RecordID, kind: String)] = []
        var committed: [Version] = []
        var step: Int64 = 0
        /// Dashboard files exported along the way, each with the state it was read at.
        var exports: [String] = []
        var bundlesApplied = 0
        /// Carried ranges the server refused for anything but a key it did not know yet.
        var wronglyRefused: [SyncSession.RefusedRange] = []

        /// `instances` serve the same storage (several servers on one database); each request
        /// goes to one of them at random.
        init(seed: UInt64, server: any ServerStorage, instances: [any ServerStorage]? = nil) async throws {
            random = SplitMix64(seed: seed)
            self.server = server
            var ids = SplitMix64(seed: seed ^ 0x1D5)
            let count = 3 + Int(seed % 3)
            for index in 0..<count {
                let name = "analyst\(index)"
                try await server.addAnalyst(name: name, tokenHash: "hash-\(index)", at: 0)
                replicas.append(try Replica.inMemory(analyst: name, id: ReplicaID(HistoryGenerator.uuid(&ids))!))
                transports.append(ChaosTransport(servers: instances ?? [server], analyst: name, seed: seed &+ UInt64(index) &* 7919))
            }
            records = (0..<4).map { index in (RecordID(HistoryGenerator.uuid(&ids))!, index == 3 ? "signal" : "cell") }
        }

        mutating func write(_ replica: Replica, _ changes: [FieldChange]) throws {
            step += 1
            committed += try replica.write(changes, at: 1_700_000_000_000 + step)
        }

        mutating func run(operations: Int) async throws {
            for _ in 0..<operations {
                let index = Int.random(in: 0..<replicas.count, using: &random)
                let replica = replicas[index]
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<55: try edit(replica)
                case 55..<60: try delete(replica)
                case 60..<70: try resolve(replica)
                case 70..<75: try exportOrImport(replica)
                case 75..<82: try handBundle(from: index)
                default:
                    var session = SyncDriver(replica: replica, pushPageSize: 7, pullPageSize: 9)
                    do {
                        try await session.run(over: transports[index])
                    } catch is ChaosTransport.Dropped {
                        // Dropped mid-sync: the next sync of this replica retries.
                    }
                    wronglyRefused += session.stats.refusedCarried.filter { !$0.mayPassLater }
                }
            }
        }

        mutating func edit(_ replica: Replica) throws {
            let record = records[Int.random(in: 0..<records.count, using: &random)]
            let current = try replica.store.record(record.id)
            if current?.deleted == true { return }
            let schema = SchemaRegistry.standard[record.kind]!
            let field = schema.fields[Int.random(in: 0..<schema.fields.count, using: &random)]
            let value = RandomValues.value(for: field, current: current?.fields[field.name]?.value, using: &random)
            let change = FieldChange(record: record.id, kind: record.kind, field: field.name, value: value)
            guard Bool.random(using: &random) else { return try write(replica, [change]) }
            step += 1
            let before = try replica.store.versionVector()
            switch try replica.set(change, at: 1_700_000_000_000 + step) {
            case .written(let version, _): committed.append(version)
            case .unchanged:
                #expect(current?.fields[field.name]?.value == (try ValueRules.canonical(value, for: field)), "a set that wrote nothing had another value")
                #expect(try replica.store.versionVector() == before, "a set that wrote nothing made a version")
            }
        }

        /// Takes an export of this replica, or imports one taken earlier (anywhere), now and then
        /// with a hand edit; a replica that lacks the export's state refuses it unchanged.
        mutating func exportOrImport(_ replica: Replica) throws {
            guard !exports.isEmpty, Bool.random(using: &random) else {
                let snapshot = try replica.store.snapshot(kinds: ["cell", "signal"])
                let cells = try CellDirectory(store: replica.store)
                exports.append(DashboardFile.export(cells: cells.shown(snapshot.records["cell"] ?? []),
                                                    signals: cells.shown(snapshot.records["signal"] ?? []), state: snapshot.state))
                return
            }
            var contents = try DashboardFile.read(exports[Int.random(in: 0..<exports.count, using: &random)])
            if let index = contents.records.indices.randomElement(using: &random), Bool.random(using: &random) {
                step += 1
                contents.records[index].fields["title"] = .text("edited in a file \(step)")
            }
            let before = try replica.store.canonicalDump()
            let plan: ImportPlan
            do {
                plan = try ImportPlan.make(for: contents, in: replica.store)
            } catch is ImportPlan.StateMissing {
                #expect(try replica.store.canonicalDump() == before)
                return
            } catch is ImportError {
                // A number another cell holds here now, or a record deleted at the file's state.
                return
            }
            guard !plan.changes.isEmpty else { return }
            step += 1
            committed += try replica.write(plan.changes, basedOn: plan.states, at: 1_700_000_000_000 + step)
        }

        mutating func delete(_ replica: Replica) throws {
            let record = records[Int.random(in: 0..<records.count, using: &random)]
            guard let current = try replica.store.record(record.id), !current.deleted else { return }
            try write(replica, [FieldChange(record: record.id, kind: record.kind, field: "_deleted", value: .bool(true))])
        }

        mutating func resolve(_ replica: Replica) throws {
            let conflicts = try replica.store.conflicts()
            guard let conflict = conflicts.randomElement(using: &random) else { return }
            let value: FieldValue = conflict.field == "_deleted"
                ? .bool(Bool.random(using: &random))
                : conflict.heads[Int.random(in: 0..<conflict.heads.count, using: &random)].value
            try write(replica, [FieldChange(record: conflict.record, kind: conflict.kind, field: conflict.field, value: value)])
        }

        /// Reliable syncs until nothing moves: every replica then holds every version.
        /// The replica at `index` hands a bundle to another: what the server lacks, or what the
        /// receiver is known (or said) to lack. A receiver missing what it builds on refuses it.
        mutating func handBundle(from index: Int) throws {
            let receiver = replicas[(index + Int.random(in: 1..<replicas.count, using: &random)) % replicas.count]
            let beyond: VersionVector?
            switch Int.random(in: 0..<3, using: &random) {
            case 0: beyond = nil
            case 1: beyond = try replicas[index].peerHolds(receiver.id.rawValue) ?? VersionVector()
            default: beyond = try receiver.store.versionVector()
            }
            step += 1
            let made = try replicas[index].makeBundle(beyond: beyond, at: 1_700_000_000_000 + step)
            do {
                _ = try receiver.apply(VersionBundle.read(made.data))
                bundlesApplied += 1
            } catch BundleError.missingPrerequisites {
                // The receiver syncs or takes the earlier bundle first, another time.
            }
        }

        mutating func quiesce() async throws {
            for transport in transports { transport.reliable = true }
            // Three rounds: carried versions whose author had not yet synced are taken at the next.
            for _ in 0..<3 {
                for (index, replica) in replicas.enumerated() {
                    var session = SyncDriver(replica: replica)
                    try await session.run(over: transports[index])
                }
            }
        }
    }

    @Test("replicas and server converge and lose nothing under an unreliable network", arguments: seeds)
    func simulation(seed: UInt64) async throws {
        let server = try SQLiteServerStore.inMemory()
        var simulation = try await Simulation(seed: seed, server: server)
        try await simulation.run(operations: Self.operations)
        try await simulation.quiesce()
        // The server keeps versions only: a new replica that pulls them all agrees with every
        // replica, byte for byte.
        let pulled = try Replica.inMemory(analyst: simulation.replicas[0].analyst)
        var pull = SyncDriver(replica: pulled)
        try await pull.run(over: InProcessTransport(store: server, analyst: pulled.analyst))
        #expect(try server.versionVector() == pulled.store.versionVector(), "seed \(seed): the server holds other versions than a full pull brings")
        let serverDump = try pulled.store.canonicalDump()
        for replica in simulation.replicas {
            #expect(try replica.store.canonicalDump() == serverDump, "seed \(seed): replica \(replica.analyst) differs from a pull of the server")
        }
        try check(simulation, against: pulled.store, seed: seed)
    }

    @Test("the same on PostgreSQL, each request to one of three instances at random", arguments: testSeeds(count: 3, base: 940_000))
    func simulationOnPostgres(seed: UInt64) async throws {
        let url = try await PostgresCluster.shared().makeDatabase()
        var instances: [PostgresServerStore] = []
        defer { for instance in instances { instance.close() } }
        for _ in 0..<3 { instances.append(try await PostgresServerStore.inTest(url)) }
        var simulation = try await Simulation(seed: seed, server: instances[0], instances: instances)
        try await simulation.run(operations: Self.operations)
        try await simulation.quiesce()
        // It keeps versions only: the replicas agree with each other, byte for byte.
        let first = try simulation.replicas[0].store.canonicalDump()
        for replica in simulation.replicas.dropFirst() {
            #expect(try replica.store.canonicalDump() == first, "seed \(seed): replica \(replica.analyst) differs from \(simulation.replicas[0].analyst)")
        }
        try check(simulation, against: simulation.replicas[0].store, seed: seed)
    }

    /// No version lost, the same conflicts everywhere, merged lines only from a base or a head,
    /// judged on `store` (the server's, or a replica's).
    func check(_ simulation: Simulation, against store: Store, seed: UInt64) throws {
        #expect(simulation.bundlesApplied > 0, "seed \(seed): no bundle was applied")
        #expect(simulation.wronglyRefused.isEmpty, "seed \(seed): the server refused carried versions: \(simulation.wronglyRefused.map(\.message))")
        for replica in simulation.replicas {
            #expect(try replica.carriedPendingCount() == 0, "seed \(seed): replica \(replica.analyst) still carries versions the server never took")
        }
        let conflicts = try store.conflicts().map(\.id)
        for replica in simulation.replicas {
            #expect(try replica.store.conflicts().map(\.id) == conflicts, "seed \(seed): replica \(replica.analyst) lists other conflicts (cells sharing a number included)")
        }
        #expect(try store.versionVector().total == UInt64(simulation.committed.count), "seed \(seed): a committed version is missing")

        // Nothing lost: each committed version is a head or superseded by one whose author saw it
        var fieldsByRecord: [RecordID: [String: [Version]]] = [:]
        for (id, _) in simulation.records { fieldsByRecord[id] = try store.fieldHeads(record: id) }
        var history: [String: [Version]] = [:]
        for version in simulation.committed { history[version.record.rawValue + "/" + version.field, default: []].append(version) }
        for version in simulation.committed {
            let heads = fieldsByRecord[version.record]?[version.field] ?? []
            let isHead = heads.contains { $0.dot == version.dot }
            let superseded = history[version.record.rawValue + "/" + version.field]!.contains { $0.context.covers(version.dot) }
            #expect(isHead || superseded, "seed \(seed): version \(version.dot) of \(version.field) was lost")
        }

        // Merged values only hold lines from the base or a head
        for (id, kind) in simulation.records {
            guard let record = try store.record(id) else { continue }
            for (name, heads) in fieldsByRecord[id] ?? [:] where heads.count > 1 {
                guard let schema = SchemaRegistry.standard[kind]?.field(name), schema.kind == .prose || schema.kind == .list,
                      record.fields[name]?.conflict == nil else { continue }
                let base = try store.commonAncestor(record: id, field: name, heads: heads)
                let allowed = Set(heads.flatMap { lines($0.value) } + lines(base?.value ?? .null))
                for line in lines(record.value(name)) {
                    #expect(allowed.contains(line), "seed \(seed): merged \(name) has a line from nowhere: \(line)")
                }
            }
        }
    }

    func lines(_ value: FieldValue) -> [String] {
        value.list ?? FieldMerge.lines(value.text)
    }
}
