import Foundation
import SyncModel
import SyncProtocol

/// What every ``ServerStorage`` must do under the server's policy, run against each one (in
/// memory, SQLite, PostgreSQL) by its own test target: the same exchanges, the same answers.
public enum ServerStorageContract: String, CaseIterable, Sendable {
    case refusesAnotherAnalystsReplicaAndStoresNothing
    case refusesAVersionSignedByAnotherAnalyst
    case refusesARequesterBoundToAnotherAnalyst
    case givesACursorOfAnotherFeedAnEmptyPageAndNoCursor
    case carriesTheFeedHeadOnlyOnTheLastVectorModePage
    case bindsThePageToTheRequestsLimitWithinTheServers
    case refusesACounterGapAndStoresNothing
    case takesAnIdenticalVersionAgainAsADuplicateAndRefusesADotWithOtherContent
    case refusesAVersionCallingARecordAnotherKind
    case refusesAVersionBreakingARuleBeforeAnything
    case keepsAnalystsTokensAndRevocations
    case feedsConcurrentPushesToConcurrentReadersWithoutGaps
    case bindsTheRequestersKeyAndRefusesAnother
    case takesAnotherAnalystsVersionsOnlyUnderTheirReplicasSignature
    case storesABundleCarriedWithNoTokenOnlyIfEverySignatureHolds
    case recordsEachReplicasLastSyncAndTheFeedPositionItReached
    case countsEachReportedConflictOnceAndNeverReopensAResolvedOne
    case recordsNoConflictReportOfARefusedExchange
    case countsBundleAppliesByResult
    case pullsOnlyTheRecordsOfCompartmentsTheAnalystIsClearedFor
    case refusesAPushOutsideTheWriteClearancesAndStoresNothing
    case readsASignalOnlyWhenClearedForEveryCompartmentOfItsCells
    case tellsAnAccessCursorOfMovesRevokesAndGrants
    case backfillsTheHistoryOfRecordsNewlyReadable
    case keepsCompartmentsClearancesAndDefaultCompartments
    case givesNothingToAnAnalystWhoseDefaultClearanceWasRevoked
    case placesRecordsAlikeUnderConcurrentPushesAndMoves
    case passesOverDotsTheirOwnerSetAside
    case reachesNothingWithAForgedCursorVectorOrBackfill
    case estimatesAPullPageByPageAsTheAnalystMayReadItAndStoresNothing
    case servesTheCurrentStateAsOfOnePositionRecordByRecord
    case servesAShallowJoinOnlyWhatTheAnalystMayRead

    static let alicesLaptop = ReplicaID("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")!
    static let bobsLaptop = ReplicaID("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")!
    static let record = RecordID("11111111-1111-4111-8111-111111111111")!

    static func version(_ replica: ReplicaID, _ counter: UInt64, author: String, kind: String = "cell", text: String? = nil) -> Version {
        Version(dot: Dot(replica: replica, counter: counter), context: VersionVector(), record: record, kind: kind, field: "title",
                value: .text(text ?? "\(author) \(counter)"), author: author, time: Int64(counter))
    }

    /// Runs this part of the contract on a fresh, empty store from `makeStore`; throws
    /// ``Violation`` with every way the store departed from it.
    public func check<Store: InspectableStorage>(_ makeStore: () async throws -> Store) async throws {
        var findings = Findings()
        let store = try await makeStore()
        if needsCompartments && !store.keepsCompartments {
            await Self.refusesCompartments(store, &findings)
        } else {
            try await run(store, &findings)
        }
        if !findings.failures.isEmpty { throw Violation(part: rawValue, failures: findings.failures) }
    }

    /// A store that keeps no compartments says so to every command about them: the part it
    /// cannot run checks this instead, so a store that starts keeping them must say so too.
    private static func refusesCompartments(_ server: some InspectableStorage, _ findings: inout Findings) async {
        let commands: [(String, () async throws -> Void)] = [
            ("addCompartment", { try await server.addCompartment("east", at: 0) }),
            ("compartments", { _ = try await server.compartments() }),
            ("grant", { try await server.grant(analyst: "alice", compartment: "default", write: false) }),
            ("revokeClearance", { _ = try await server.revokeClearance(analyst: "alice", compartment: "default") }),
            ("clearances", { _ = try await server.clearances(analyst: nil) }),
            ("setHome", { try await server.setHome(analyst: "alice", compartment: "default") }),
            ("move", { try await server.move(record: record, to: "default", by: nil, at: 0) }),
        ]
        for (name, command) in commands {
            do {
                try await command()
                findings.expect(false, "\(name) was taken by a store that keeps no compartments")
            } catch CompartmentError.unsupported {
            } catch {
                findings.expect(false, "\(name): expected CompartmentError.unsupported, got \(error)")
            }
        }
    }

    private func run<Store: InspectableStorage>(_ server: Store, _ findings: inout Findings) async throws {
        if self != .keepsAnalystsTokensAndRevocations {
            // Exchanges come from analysts the server knows (their tokens were checked).
            let names = ["alice", "bob", "carol"] + (0..<6).map { "writer\($0)" } + (0..<3).map { "reader\($0)" }
            for name in names { try await server.addAnalyst(name: name, tokenHash: "hash-of-\(name)", at: 0) }
        }
        func seed() async throws {
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.alicesLaptop, 1, author: "alice"), Self.version(Self.alicesLaptop, 2, author: "alice")],
                                          pageLimit: 10, at: 1)
        }
        func everything() async throws -> [Version] {
            try await server.exchange(analyst: "alice", clientVector: VersionVector(), versions: [], pageLimit: 1_000, at: 9).versions
        }
        switch self {
        case .refusesAnotherAnalystsReplicaAndStoresNothing:
            try await seed()
            await findings.expectThrows(ExchangeRefusal.replicaOwnedByOther(replica: Self.alicesLaptop, owner: "alice")) {
                _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.bobsLaptop, 1, author: "bob"), Self.version(Self.alicesLaptop, 3, author: "bob")],
                                              pageLimit: 10, at: 2)
            }
            findings.expect(try await everything().count == 2)
            findings.expect(try await server.owners() == [Self.alicesLaptop: "alice"], "the refused exchange bound nothing")
        case .refusesAVersionSignedByAnotherAnalyst:
            await findings.expectThrows(ExchangeRefusal.authorMismatch(dot: Dot(replica: Self.bobsLaptop, counter: 1), author: "alice", analyst: "bob")) {
                _ = try await server.exchange(analyst: "bob", clientVector: VersionVector(), versions: [Self.version(Self.bobsLaptop, 1, author: "alice")],
                                              pageLimit: 10, at: 2)
            }
            findings.expect(try await everything().isEmpty)
        case .refusesARequesterBoundToAnotherAnalyst:
            try await seed()
            await findings.expectThrows(ExchangeRefusal.replicaOwnedByOther(replica: Self.alicesLaptop, owner: "alice")) {
                _ = try await server.exchange(analyst: "bob", requester: Self.alicesLaptop, clientVector: VersionVector(), versions: [], pageLimit: 10, at: 2)
            }
        case .givesACursorOfAnotherFeedAnEmptyPageAndNoCursor:
            try await seed()
            let foreign = FeedCursor.start.advanced(by: Dot(replica: Self.bobsLaptop, counter: 1))
            let refused = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: foreign,
                                                    versions: [], pageLimit: 10, at: 2)
            findings.expect(refused.versions.isEmpty && refused.more && refused.cursor == nil)
            let beyond = FeedCursor(seq: 3, chain: 99)
            let past = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: beyond,
                                                 versions: [], pageLimit: 10, at: 2)
            findings.expect(past.cursor == nil && past.more)
            let honoured = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: .start,
                                                     versions: [], pageLimit: 10, at: 2)
            let head = FeedCursor.start.advanced(by: Dot(replica: Self.alicesLaptop, counter: 1)).advanced(by: Dot(replica: Self.alicesLaptop, counter: 2))
            findings.expect(honoured.versions.count == 2 && !honoured.more && honoured.cursor == head)
            let own = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector([Self.alicesLaptop: 2]),
                                                cursor: .start, versions: [], pageLimit: 10, at: 2)
            findings.expect(own.versions.isEmpty && !own.more && own.cursor == head, "the requester's own versions are skipped yet covered")
        case .carriesTheFeedHeadOnlyOnTheLastVectorModePage:
            try await seed()
            let first = try await server.exchange(analyst: "bob", clientVector: VersionVector(), versions: [], pageLimit: 1, at: 2)
            findings.expect(first.versions.map(\.dot.counter) == [1] && first.more && first.cursor == nil)
            let last = try await server.exchange(analyst: "bob", clientVector: VersionVector([Self.alicesLaptop: 1]), versions: [], pageLimit: 1, at: 2)
            findings.expect(last.versions.map(\.dot.counter) == [2] && !last.more && last.cursor?.seq == 2)
            findings.expect(last.vector == VersionVector([Self.alicesLaptop: 2]), "the counters of the replicas the request named")
        case .bindsThePageToTheRequestsLimitWithinTheServers:
            try await seed()
            let request = SyncRequest(replica: Self.bobsLaptop, vector: VersionVector(), cursor: .start, versions: [], pageLimit: 50)
            let capped = try await server.answer(request, analyst: "bob", defaultPageSize: 1, maxPageSize: 1, at: 2)
            findings.expect(capped.response.versions.count == 1 && capped.response.more)
            var unnamed = request
            unnamed.pageLimit = nil
            let byDefault = try await server.answer(unnamed, analyst: "bob", defaultPageSize: 2, maxPageSize: 5, at: 2)
            findings.expect(byDefault.response.versions.count == 2 && !byDefault.response.more)
        case .refusesACounterGapAndStoresNothing:
            try await seed()
            await findings.expectCode(.counterGap) {
                _ = try await server.exchange(analyst: "alice", clientVector: VersionVector(), versions: [Self.version(Self.alicesLaptop, 4, author: "alice")],
                                              pageLimit: 10, at: 2)
            }
            findings.expect(try await everything().count == 2)
        case .takesAnIdenticalVersionAgainAsADuplicateAndRefusesADotWithOtherContent:
            try await seed()
            let again = try await server.exchange(analyst: "alice", clientVector: VersionVector(),
                                                  versions: [Self.version(Self.alicesLaptop, 2, author: "alice"), Self.version(Self.alicesLaptop, 3, author: "alice")],
                                                  pageLimit: 10, at: 2)
            findings.expect(again.report.new == 1 && again.report.duplicates == 1)
            await findings.expectCode(.dotReused) {
                _ = try await server.exchange(analyst: "alice", clientVector: VersionVector(),
                                              versions: [Self.version(Self.alicesLaptop, 2, author: "alice", text: "other content")], pageLimit: 10, at: 3)
            }
            findings.expect(try await everything().map(\.dot.counter) == [1, 2, 3])
        case .refusesAVersionCallingARecordAnotherKind:
            try await seed()
            await findings.expectCode(.kindMismatch) {
                _ = try await server.exchange(analyst: "alice", clientVector: VersionVector(),
                                              versions: [Self.version(Self.alicesLaptop, 3, author: "alice", kind: "signal")], pageLimit: 10, at: 2)
            }
            findings.expect(try await everything().count == 2)
        case .refusesAVersionBreakingARuleBeforeAnything:
            var broken = Self.version(Self.alicesLaptop, 1, author: "alice")
            broken.field = "no such field"
            await findings.expectCode(.invalidVersion) {
                _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(), versions: [broken], pageLimit: 10, at: 2)
            }
            findings.expect(try await server.owners().isEmpty, "nothing bound by a request refused for its structure")
        case .keepsAnalystsTokensAndRevocations:
            try await server.addAnalyst(name: "alice", tokenHash: "hash-1", at: 5)
            await findings.expectThrows(AnalystError.exists("alice")) { try await server.addAnalyst(name: "alice", tokenHash: "hash-2", at: 6) }
            findings.expect(try await server.activeAnalyst(named: "alice")?.tokenHash == "hash-1")
            findings.expect(try await server.replaceToken(name: "alice", tokenHash: "hash-3") == false)
            try await server.revoke(name: "alice", at: 7)
            findings.expect(try await server.activeAnalyst(named: "alice") == nil)
            findings.expect(try await server.analysts() == [Analyst(name: "alice", created: 5, revoked: 7)])
            findings.expect(try await server.replaceToken(name: "alice", tokenHash: "hash-4") == true, "a revoked analyst stays revoked")
            findings.expect(try await server.reinstate(name: "alice") == true)
            findings.expect(try await server.reinstate(name: "alice") == false)
            findings.expect(try await server.activeAnalyst(named: "alice")?.tokenHash == "hash-4")
            await findings.expectThrows(AnalystError.notFound("zoe")) { try await server.revoke(name: "zoe", at: 8) }
            await findings.expectThrows(AnalystError.notFound("zoe")) { _ = try await server.reinstate(name: "zoe") }
            await findings.expectThrows(AnalystError.notFound("zoe")) { _ = try await server.replaceToken(name: "zoe", tokenHash: "x") }
        case .feedsConcurrentPushesToConcurrentReadersWithoutGaps:
            try await Self.concurrentPushesAndReads(server, &findings)
        case .recordsEachReplicasLastSyncAndTheFeedPositionItReached:
            let empty = (head: try await server.feedHead(), activity: try await server.replicaActivity())
            findings.expect(empty.head == .start && empty.activity.isEmpty)
            try await seed()
            func activity() async throws -> [ReplicaID: ReplicaActivity] {
                Dictionary(uniqueKeysWithValues: try await server.replicaActivity().map { ($0.replica, $0) })
            }
            let head = try await server.feedHead()
            findings.expect(head.seq == 2)
            // Alice's push was answered with the head; Bob pulls one of the two versions.
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: .start,
                                          versions: [], pageLimit: 1, at: 5)
            var seen = try await activity()
            findings.expect(seen[Self.alicesLaptop] == ReplicaActivity(replica: Self.alicesLaptop, analyst: "alice", lastSync: 1, reached: 2), "\(seen)")
            findings.expect(seen[Self.bobsLaptop] == ReplicaActivity(replica: Self.bobsLaptop, analyst: "bob", lastSync: 5, reached: 1), "\(seen)")
            findings.expect(seen[Self.bobsLaptop]?.lag(head: head) == 1)
            // A cursor this feed refuses records the request's time and keeps the position reached.
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                          cursor: FeedCursor(seq: 9, chain: 9), versions: [], pageLimit: 1, at: 6)
            seen = try await activity()
            findings.expect(seen[Self.bobsLaptop]?.lastSync == 6 && seen[Self.bobsLaptop]?.reached == 1, "\(seen)")
            // A refused exchange records nothing.
            await findings.expectThrows(ExchangeRefusal.replicaOwnedByOther(replica: Self.alicesLaptop, owner: "alice")) {
                _ = try await server.exchange(analyst: "bob", requester: Self.alicesLaptop, clientVector: VersionVector(), versions: [], pageLimit: 10, at: 7)
            }
            findings.expect(try await activity()[Self.alicesLaptop]?.lastSync == 1)
            findings.expect(try await server.replicaActivity().map(\.analyst) == ["alice", "bob"], "ordered by analyst")
        case .bindsTheRequestersKeyAndRefusesAnother, .takesAnotherAnalystsVersionsOnlyUnderTheirReplicasSignature,
             .storesABundleCarriedWithNoTokenOnlyIfEverySignatureHolds:
            try await runRelay(server, &findings)
        case .countsEachReportedConflictOnceAndNeverReopensAResolvedOne, .recordsNoConflictReportOfARefusedExchange, .countsBundleAppliesByResult:
            try await runTallies(server, &findings)
        case .pullsOnlyTheRecordsOfCompartmentsTheAnalystIsClearedFor, .refusesAPushOutsideTheWriteClearancesAndStoresNothing,
             .readsASignalOnlyWhenClearedForEveryCompartmentOfItsCells, .tellsAnAccessCursorOfMovesRevokesAndGrants,
             .backfillsTheHistoryOfRecordsNewlyReadable, .keepsCompartmentsClearancesAndDefaultCompartments,
             .givesNothingToAnAnalystWhoseDefaultClearanceWasRevoked, .placesRecordsAlikeUnderConcurrentPushesAndMoves, .passesOverDotsTheirOwnerSetAside,
             .reachesNothingWithAForgedCursorVectorOrBackfill:
            try await runAccess(server, &findings)
        case .estimatesAPullPageByPageAsTheAnalystMayReadItAndStoresNothing:
            try await runEstimate(server, &findings)
        case .servesTheCurrentStateAsOfOnePositionRecordByRecord, .servesAShallowJoinOnlyWhatTheAnalystMayRead:
            try await runShallow(server, &findings)
        }
    }

    /// Six writers push 24 versions each in pages of 3 while three readers pull by cursor over
    /// and over: every reader ends with every version, in each replica's counter order (a
    /// reader's replica refuses a gap), so no cursor ever passed a version committed later.
    static func concurrentPushesAndReads<Store: ServerStorage>(_ server: Store, _ findings: inout Findings) async throws {
        let writers = (0..<6).map { MemoryReplica(id: ReplicaID(String(format: "%08x-0000-4000-8000-000000000000", $0 + 1))!, analyst: "writer\($0)") }
        for (index, writer) in writers.enumerated() {
            for counter in 0..<24 {
                writer.write(record: RecordID(String(format: "%08x-1111-4111-8111-111111111111", index * 100 + counter % 4))!, kind: "cell",
                             field: "title", value: .text("w\(index) \(counter)"), at: Int64(counter))
            }
        }
        let readers = (0..<3).map { MemoryReplica(id: ReplicaID(String(format: "%08x-2222-4222-8222-222222222222", $0 + 1))!, analyst: "reader\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in writers {
                group.addTask {
                    var driver = SyncDriver(replica: writer, pushPageSize: 3, pullPageSize: 50)
                    try await driver.run(over: InProcessTransport(store: server, analyst: writer.analyst, pageLimit: 50))
                }
            }
            for reader in readers {
                group.addTask {
                    for _ in 0..<12 {
                        var driver = SyncDriver(replica: reader, pullPageSize: 5)
                        try await driver.run(over: InProcessTransport(store: server, analyst: reader.analyst, pageLimit: 5))
                    }
                }
            }
            try await group.waitForAll()
        }
        let all = Set(writers.flatMap(\.versions)).sorted { $0.dot < $1.dot }
        for reader in readers {
            var driver = SyncDriver(replica: reader)
            try await driver.run(over: InProcessTransport(store: server, analyst: reader.analyst))
            findings.expect(reader.versions == all, "reader \(reader.analyst) holds \(reader.versions.count) of \(all.count) versions")
        }
    }
}

/// A departure from the storage contract, with every failed check of one part.
public struct Violation: Error, CustomStringConvertible {
    public var part: String
    public var failures: [String]
    public var description: String { "\(part): " + failures.joined(separator: "; ") }
}

/// The checks of one part of the contract, collected rather than stopping at the first.
struct Findings {
    var failures: [String] = []

    mutating func expect(_ condition: Bool, _ message: @autoclosure () -> String = "", line: Int = #line) {
        if !condition { failures.append("line \(line): check failed \(message())") }
    }

    mutating func expectThrows<E: Error & Equatable>(_ expected: E, line: Int = #line, _ body: () async throws -> Void) async {
        do {
            try await body()
            failures.append("line \(line): expected \(expected), nothing was thrown")
        } catch let error as E where error == expected {
        } catch {
            failures.append("line \(line): expected \(expected), got \(error)")
        }
    }

    mutating func expectCode(_ code: ServerErrorCode, line: Int = #line, _ body: () async throws -> Void) async {
        do {
            try await body()
            failures.append("line \(line): expected a refusal answered as \(code), nothing was refused")
        } catch let error as any StorageError where error.code == code {
        } catch {
            failures.append("line \(line): expected a refusal answered as \(code), got \(error)")
        }
    }
}
