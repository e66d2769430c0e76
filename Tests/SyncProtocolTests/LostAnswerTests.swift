import Foundation
import LocalStore
import StoreKinds
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// Delivers every request to the server, which commits it, and then loses a seeded `percent`
/// of the answers, as a connection dropped after the server's commit would.
final class LostAnswerTransport: SyncTransport, @unchecked Sendable {
    let inner: any SyncTransport
    let percent: UInt64
    private let lock = NSLock()
    private var random: SplitMix64
    private(set) var lost = 0

    struct AnswerLost: Error {}

    init(_ inner: any SyncTransport, percent: UInt64, seed: UInt64) {
        self.inner = inner
        self.percent = percent
        random = SplitMix64(seed: seed)
    }

    func send(_ request: SyncRequest) async throws -> SyncResponse {
        let response = try await inner.send(request)
        let lose = lock.withLock {
            let lose = random.next() % 100 < percent
            if lose { lost += 1 }
            return lose
        }
        if lose { throw AnswerLost() }
        return response
    }
}

@Suite struct LostAnswerTests {
    static let analysts = ["alice", "bob", "carol"]
    static let records = (1...4).map { RecordID("1057a115-0000-4000-8000-00000000000\($0)")! }
    static let fields = ["title", "tier", "assessment", "commitments"]

    /// One run of the same seeded work: three replicas with fixed ids edit the same few records
    /// over several rounds and sync after each; `lose` makes a transport that loses answers.
    static func run(_ kind: StoreKind, seed: UInt64, lose: UInt64?) async throws -> (server: String, replicas: [String], lost: Int) {
        var random = SplitMix64(seed: seed)
        let server = try await SyncSessionTests.makeServer(kind)
        let replicas = try analysts.enumerated().map { index, name in
            // Keys from the index: both runs' servers bind the same ones.
            try Replica.inMemory(analyst: name, id: ReplicaID("1057a115-0000-4000-8000-0000000000a\(index)")!,
                                 signingKey: SigningKey(rawRepresentation: Data(repeating: UInt8(index + 1), count: 32)))
        }
        var lost = 0
        for round in 0..<8 {
            for (index, replica) in replicas.enumerated() {
                var changes: [FieldChange] = []
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    let record = records[Int(random.next() % UInt64(records.count))]
                    let field = fields[Int(random.next() % UInt64(fields.count))]
                    let word = "r\(round)-\(analysts[index])-\(random.next() % 1000)"
                    let value: FieldValue = field == "commitments" ? .list([word]) : field == "assessment" ? .text("\(word)\n\nshared\n") : .text(word)
                    changes.append(FieldChange(record: record, kind: "cell", field: field, value: value))
                }
                try replica.write(changes, at: Int64(round * 10 + index))
                let transport = server.transport(analyst: analysts[index], pageLimit: 3)
                if let lose {
                    let lossy = LostAnswerTransport(transport, percent: lose, seed: seed &+ UInt64(round * 10 + index))
                    // Retry until a session completes, as an analyst re-running `sync` would
                    var attempts = 0
                    while true {
                        attempts += 1
                        try #require(attempts < 1000, "no session completes")
                        var session = SyncDriver(replica: replica, pushPageSize: 2, pullPageSize: 3)
                        do { try await session.run(over: lossy); break } catch is LostAnswerTransport.AnswerLost { continue }
                    }
                    lost += lossy.lost
                } else {
                    var session = SyncDriver(replica: replica, pushPageSize: 2, pullPageSize: 3)
                    try await session.run(over: transport)
                }
            }
        }
        for (index, replica) in replicas.enumerated() {
            var session = SyncDriver(replica: replica)
            try await session.run(over: server.transport(analyst: analysts[index]))
        }
        return (try await server.storage.canonicalDump(), try replicas.map { try $0.store.canonicalDump() }, lost)
    }

    @Test("answers lost after the server committed: retried syncs end exactly where fault-free ones do", arguments: testSeeds(count: 3, base: 0x1057), StoreKind.allCases)
    func lostAnswersEqualAFaultFreeRun(seed: UInt64, kind: StoreKind) async throws {
        print("LostAnswerTests seed \(seed) (rerun with SYNC_TEST_SEED=\(seed))")
        let clean = try await Self.run(kind, seed: seed, lose: nil)
        for percent: UInt64 in [20, 50] {
            let faulty = try await Self.run(kind, seed: seed, lose: percent)
            #expect(faulty.lost > 10, "the faults must actually happen")
            #expect(faulty.server == clean.server, "server state differs when \(percent)% of answers are lost")
            #expect(faulty.replicas == clean.replicas, "replica state differs when \(percent)% of answers are lost")
        }
        #expect(clean.replicas.allSatisfy { $0 == clean.replicas[0] })
    }
}
