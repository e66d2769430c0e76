import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol
import Testing

/// The sync the CLI and the web dashboard share, run in one process against the server's policy
/// over an SQLite store in memory: no network.
@Suite struct ReplicaSyncTests {
    static func server(_ analysts: [String]) throws -> SQLiteServerStore {
        let server = try SQLiteServerStore.inMemory()
        for name in analysts { try server.addAnalyst(name: name, tokenHash: name, at: 0) }
        return server
    }

    static func sync(_ replica: Replica, _ server: SQLiteServerStore, progress: (SyncProgress) -> Void = { _ in }) async throws -> SyncOutcome {
        try await ReplicaSync(pageSize: 5).run(replica: replica, server: "test", over: InProcessTransport(store: server, analyst: replica.analyst),
                                               progress: progress)
    }

    static func cell(_ number: Int, _ title: String) -> [FieldChange] {
        let record = RecordID.random()
        return [FieldChange(record: record, kind: "cell", field: "number", value: .int(Int64(number))),
                FieldChange(record: record, kind: "cell", field: "title", value: .text(title))]
    }

    @Test func cellsGivenOneNumberOnTwoReplicasAreReportedOnceAsANewConflict() async throws {
        // Given alice and bob, each creating cell 20 offline
        let server = try Self.server(["alice", "bob"])
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try alice.write(Self.cell(20, "Alliances"), at: 1)
        try bob.write(Self.cell(20, "Burden-sharing"), at: 2)
        // When both sync
        let first = try await Self.sync(alice, server)
        let second = try await Self.sync(bob, server)
        // Then the second to sync is told of the shared number, with the command that shows it
        #expect(first.newConflicts.isEmpty && first.lines == ["Synced with test: sent 2, received 0, merged cleanly 0, new conflicts 0"])
        let shared = try bob.store.numberConflicts().map(\.id)
        #expect(shared.count == 1 && second.newConflicts == shared)
        #expect(second.lines == ["Synced with test: sent 2, received 2, merged cleanly 0, new conflicts 1",
                                 "  conflict \(shared[0]): see `sync-client conflicts show \(shared[0])`"])
        #expect(second.summary.newConflicts == [shared[0].rawValue] && second.summary.sent == 2 && second.summary.received == 2)
        // And a later sync, opening nothing, reports nothing new
        #expect(try await Self.sync(bob, server).newConflicts.isEmpty)
        #expect(try bob.lastSync()?.server == "test")
    }

    @Test func progressIsReportedAfterEveryPage() async throws {
        let server = try Self.server(["alice"])
        let alice = try Replica.inMemory(analyst: "alice")
        for number in 1...6 { try alice.write(Self.cell(number, "Cell \(number)"), at: Int64(number)) }
        var pages: [SyncStats] = []
        let outcome = try await Self.sync(alice, server) { event in
            if case .page(let stats) = event { pages.append(stats) }
        }
        #expect(outcome.stats.sent == 12 && pages.count == outcome.stats.requests && pages.count >= 3, "\(pages)")
        #expect(pages.last == outcome.stats)
    }

    @Test func aVersionABundleBroughtThatTheServerHoldsOtherwiseIsExplainedAsAForgedBundle() async throws {
        // Given a copy of alice's replica with another key (mallory's), whose bundle carol, who
        // reads the server's feed by cursor, takes
        let server = try Self.server(["alice", "carol"])
        let alice = try Replica.inMemory(analyst: "alice")
        let mallory = try Replica.inMemory(analyst: "alice", id: alice.id, signingKey: .generate())
        try mallory.write(Self.cell(3, "Forged"), at: 1)
        let carol = try Replica.inMemory(analyst: "carol")
        _ = try await Self.sync(carol, server)
        _ = try carol.apply(try mallory.makeBundle(beyond: nil, at: 2).bundle)
        // When alice's genuine writes under the same dots reach the server, and carol syncs
        try alice.write(Self.cell(3, "Genuine"), at: 3)
        _ = try await Self.sync(alice, server)
        let error = await #expect(throws: ClientError.self) { try await Self.sync(carol, server) }
        // Then carol is told the bundle was forged and what to do, not to rekey
        let text = error?.description ?? ""
        #expect(text.contains("came here in a bundle") && text.contains("the bundle was forged") && text.contains("sync-client init"), "\(text)")
        #expect(try ReplicaSync.forgedBundle(SyncError.noProgress, replica: carol) == nil, "any other error is left as it is")
    }

    @Test func aSyncWithNoServerOrTokenSavedSaysHowToSetThem() async throws {
        let replica = try Replica.inMemory(analyst: "alice")
        let saved = ReplicaSettings(server: "", token: "", analyst: "alice", caFile: "")
        await #expect(throws: SyncError.notConfigured("no server URL is saved")) {
            try await ReplicaSync().run(replica: replica, settings: EffectiveSettings(saved: saved, server: nil, token: nil, environment: [:]))
        }
        await #expect(throws: SyncError.notConfigured("no token is saved")) {
            try await ReplicaSync().run(replica: replica, settings: EffectiveSettings(saved: saved, server: "http://127.0.0.1:1", token: nil, environment: [:]))
        }
    }

    @Test func refusedCarriedRangesAreWarnedAboutSayingWhetherTheyAreCarriedAgain() throws {
        let replica = ReplicaID("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")!
        var stats = SyncStats()
        for (first, code) in [(UInt64(1), ServerErrorCode.unknownKey), (3, .badSignature)] {
            let range = SignedRange(replica: replica, first: first, last: first + 1, signature: Data(count: 64))
            stats.refusedCarried.append(SyncSession.RefusedRange(range: range, code: code, message: "because"))
        }
        #expect(SyncOutcome(server: "test", stats: stats, newConflicts: []).warnings == [
            "warning: the server refused versions \(replica):1-2 received by bundle (kept to carry at a later sync): because",
            "warning: the server refused versions \(replica):3-4 received by bundle (no longer carried): because",
        ])
    }

    @Test(arguments: [
        (SyncError.server(status: 503, code: .httpError, message: "Service Unavailable"), "503 http_error"),
        (SyncError.unreachable(server: "http://127.0.0.1:8080", reason: "connection refused"), "connection refused"),
    ])
    func aRetryIsAnnouncedWithItsReasonAndWait(error: SyncError, reason: String) {
        #expect(SyncProgress.retrying(.init(number: 2, total: 3, delay: .seconds(2), error: error)).line
            == "the connection to the server dropped (\(reason)); sending the request again in 2 s (retry 2 of 3)")
    }

    @Test func aPageIsShownWithItsCountsAndTheFieldDerivationStep() {
        var stats = SyncStats()
        (stats.requests, stats.sent, stats.received) = (3, 10, 42)
        #expect(SyncProgress.page(stats).line == "syncing: page 3, sent 10, received 42   ")
        stats.derivingFields = true
        #expect(SyncProgress.page(stats).line == "syncing: page 3, sent 10, received 42, deriving field states")
    }
}

