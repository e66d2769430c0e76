import Foundation
import GRDB
import LocalStore
import StoreKinds
import SyncModel
import SyncProtocol
import Testing
import TestSupport

/// Records every request and can cut one short, before the server took it or after (its answer
/// lost), as a dropped connection would.
final class ReportingTransport: SyncTransport, @unchecked Sendable {
    enum Cut: String, CaseIterable, Sendable { case beforeTheServer, afterTheServer }

    struct Dropped: Error {}

    let inner: any SyncTransport
    /// Cuts the first request that carries a conflict report, then none.
    private var cut: Cut?
    private let lock = NSLock()
    private var sent: [SyncRequest] = []

    init(_ inner: any SyncTransport, cuttingTheFirstReport cut: Cut? = nil) {
        self.inner = inner
        self.cut = cut
    }

    /// Every request sent, in order (a cut one included).
    var requests: [SyncRequest] { lock.withLock { sent } }

    func send(_ request: SyncRequest) async throws -> SyncResponse {
        let cut: Cut? = lock.withLock {
            sent.append(request)
            guard !request.conflicts.isEmpty, let cut = self.cut else { return nil }
            self.cut = nil
            return cut
        }
        if cut == .beforeTheServer { throw Dropped() }
        let response = try await inner.send(request)
        if cut == .afterTheServer { throw Dropped() }
        return response
    }
}

/// What replicas report of their conflicts, and what the server counts of it, with replica
/// files and each kind of server store.
@Suite struct ConflictReportTests {
    static let cell = RecordID("55555555-5555-4555-8555-555555555555")!

    /// Replica files in a folder of their own, removed with it.
    final class Team {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("field-sync-reports-\(UUID().uuidString)")
        let server: TestServer

        init(_ kind: StoreKind) async throws {
            server = try await kind.server(analysts: ["alice", "bob", "carol"])
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }

        func replica(_ analyst: String) throws -> Replica {
            try Replica.create(path: folder.appendingPathComponent("\(analyst).sqlite").path,
                               settings: ReplicaSettings(server: "http://127.0.0.1:1", token: "\(analyst).secret", analyst: analyst))
        }

        /// One sync of `replica`, over `transport` if given; returns its counts.
        @discardableResult
        func sync(_ replica: Replica, over transport: (any SyncTransport)? = nil, reportLimit: Int = ConflictReport.maxIDs) async throws -> SyncStats {
            var driver = SyncDriver(replica: replica)
            driver.conflictReportLimit = reportLimit
            let transport = transport ?? server.transport(analyst: replica.analyst)
            try await driver.run(over: transport)
            return driver.stats
        }

        func counts() async throws -> ConflictCounts { try await server.storage.conflictCounts() }

        deinit {
            server.close()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    static func title(_ replica: Replica, _ text: String, record: RecordID = cell) throws {
        try replica.write([FieldChange(record: record, kind: "cell", field: "title", value: .text(text))], at: 1)
    }

    /// Alice and Bob both retitle the cell while offline; Alice syncs, then Bob, who meets the
    /// conflict. Returns its id.
    static func makeConflict(_ team: Team, _ alice: Replica, _ bob: Replica, record: RecordID = cell) async throws -> ConflictID {
        try Self.title(alice, "a shared title", record: record)
        try await team.sync(alice)
        try await team.sync(bob)
        try Self.title(alice, "alice's title", record: record)
        try Self.title(bob, "bob's title", record: record)
        try await team.sync(alice)
        try await team.sync(bob)
        return try #require(try bob.store.conflicts().first { $0.record == record }?.id)
    }

    @Test(arguments: StoreKind.allCases)
    func aConflictTwoReplicasSeeCountsOnceAndItsResolutionClosesIt(kind: StoreKind) async throws {
        let team = try await Team(kind)
        let alice = try team.replica("alice"), bob = try team.replica("bob")
        let conflict = try await Self.makeConflict(team, alice, bob)
        #expect(try await team.counts() == ConflictCounts(open: 1, opened: 1), "bob's sync reported what its pages opened")
        try await team.sync(alice)
        #expect(try alice.store.conflicts().map(\.id) == [conflict])
        #expect(try await team.counts() == ConflictCounts(open: 1, opened: 1), "alice named the same conflict")
        try Self.title(alice, "one title")
        try await team.sync(alice)
        #expect(try await team.counts() == ConflictCounts(open: 0, opened: 1))
        try await team.sync(bob)
        #expect(try await team.counts() == ConflictCounts(open: 0, opened: 1))
        for replica in [alice, bob] { #expect(try replica.pendingConflictReport(limit: 10).isEmpty) }
        // With nothing new to report, a sync is one request carrying none.
        let idle = ReportingTransport(team.server.transport(analyst: "bob"))
        #expect(try await team.sync(bob, over: idle).requests == 1)
        #expect(idle.requests.map(\.conflicts) == [ConflictReport()])
    }

    @Test(arguments: StoreKind.allCases, ReportingTransport.Cut.allCases)
    func aReportCutShortIsSentAgainAndCountedOnce(kind: StoreKind, cut: ReportingTransport.Cut) async throws {
        let team = try await Team(kind)
        let alice = try team.replica("alice"), bob = try team.replica("bob")
        try Self.title(alice, "a shared title")
        try await team.sync(alice)
        try await team.sync(bob)
        try Self.title(alice, "alice's title")
        try Self.title(bob, "bob's title")
        try await team.sync(alice)
        let cutting = ReportingTransport(team.server.transport(analyst: "bob"), cuttingTheFirstReport: cut)
        await #expect(throws: ReportingTransport.Dropped.self) { try await team.sync(bob, over: cutting) }
        let conflict = try #require(try bob.store.conflicts().first?.id)
        #expect(cutting.requests.last?.conflicts == ConflictReport(opened: [conflict]), "the session's last request carried the report")
        #expect(try await team.counts() == ConflictCounts(open: cut == .afterTheServer ? 1 : 0, opened: cut == .afterTheServer ? 1 : 0))
        #expect(try bob.pendingConflictReport(limit: 10) == ConflictReport(opened: [conflict]), "nothing is marked reported without an answer")
        let again = ReportingTransport(team.server.transport(analyst: "bob"))
        try await team.sync(bob, over: again)
        #expect(again.requests.first?.conflicts == ConflictReport(opened: [conflict]))
        #expect(try await team.counts() == ConflictCounts(open: 1, opened: 1))
        #expect(try bob.pendingConflictReport(limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func aResolvedConflictStaysClosedWhenAReplicaThatMissedTheResolutionReportsItOpen(kind: StoreKind) async throws {
        let team = try await Team(kind)
        let alice = try team.replica("alice"), bob = try team.replica("bob"), carol = try team.replica("carol")
        let conflict = try await Self.makeConflict(team, alice, bob)
        // Carol meets the conflict, but her report never reaches the server.
        await #expect(throws: ReportingTransport.Dropped.self) {
            try await team.sync(carol, over: ReportingTransport(team.server.transport(analyst: "carol"), cuttingTheFirstReport: .beforeTheServer))
        }
        try await team.sync(alice)
        try Self.title(alice, "one title")
        try await team.sync(alice)
        #expect(try await team.counts() == ConflictCounts(open: 0, opened: 1))
        let late = ReportingTransport(team.server.transport(analyst: "carol"))
        try await team.sync(carol, over: late)
        #expect(late.requests.first?.conflicts == ConflictReport(opened: [conflict]), "carol still reports it open")
        #expect(late.requests.last?.conflicts == ConflictReport(resolved: [conflict]), "then, having pulled the resolution, resolved")
        #expect(try await team.counts() == ConflictCounts(open: 0, opened: 1), "a resolved conflict never reopens")
    }

    @Test func aConflictOpenedAndResolvedBetweenTwoSyncsIsStillReported() async throws {
        let team = try await Team(.sqlite)
        let alice = try team.replica("alice"), bob = try team.replica("bob")
        try Self.title(alice, "a shared title")
        try await team.sync(alice)
        try await team.sync(bob)
        try Self.title(alice, "alice's title")
        try Self.title(bob, "bob's title")
        // Bob's replica takes Alice's version by bundle, offline, and resolves what it opened.
        _ = try bob.apply(VersionBundle.read(alice.makeBundle(beyond: nil, at: 2).data))
        let conflict = try #require(try bob.store.conflicts().first?.id)
        try Self.title(bob, "one title")
        #expect(try bob.store.conflicts().isEmpty)
        let transport = ReportingTransport(team.server.transport(analyst: "bob"))
        try await team.sync(bob, over: transport)
        #expect(transport.requests.first?.conflicts == ConflictReport(resolved: [conflict]))
        #expect(try await team.counts() == ConflictCounts(open: 0, opened: 1))
    }

    @Test func conflictsThatLeaveTheFileForAnotherReasonAreForgottenInsteadOfReportedResolved() async throws {
        let team = try await Team(.sqlite)
        let alice = try team.replica("alice"), bob = try team.replica("bob")
        let conflict = try await Self.makeConflict(team, alice, bob)
        #expect(try await team.counts() == ConflictCounts(open: 1, opened: 1))
        // The cell's field states leave Bob's file, as removing a record he may no longer read
        // would take them: the conflict is no longer open here, yet nobody resolved it.
        let ids = try await bob.store.writer.write { db in
            let open = try bob.conflictsOpen(on: [Self.cell], in: db)
            try db.execute(sql: "DELETE FROM field WHERE record = (SELECT id FROM record WHERE uuid = ?)", arguments: [Self.cell.rawValue])
            return open
        }
        #expect(ids == [conflict])
        #expect(try bob.pendingConflictReport(limit: 10) == ConflictReport(resolved: [conflict]), "unforgotten, it reads as resolved")
        try bob.forgetConflictReports(ids)
        #expect(try bob.pendingConflictReport(limit: 10).isEmpty)
        try await team.sync(bob)
        #expect(try await team.counts() == ConflictCounts(open: 1, opened: 1), "still open: another replica will report its resolution")
    }

    @Test func aReportLongerThanARequestTakesSeveral() async throws {
        let team = try await Team(.sqlite)
        let alice = try team.replica("alice"), bob = try team.replica("bob")
        let records = (1...5).map { RecordID(String(format: "%08x-5555-4555-8555-555555555555", $0))! }
        for record in records { try Self.title(alice, "shared", record: record) }
        try await team.sync(alice)
        try await team.sync(bob)
        for record in records {
            try Self.title(alice, "alice's", record: record)
            try Self.title(bob, "bob's", record: record)
        }
        try await team.sync(alice)
        let transport = ReportingTransport(team.server.transport(analyst: "bob"))
        try await team.sync(bob, over: transport, reportLimit: 2)
        #expect(try bob.store.conflicts().count == 5)
        #expect(try await team.counts() == ConflictCounts(open: 5, opened: 5))
        #expect(transport.requests.map(\.conflicts.opened.count) == [0, 0, 2, 2, 1], "\(transport.requests.map(\.conflicts))")
        #expect(try bob.pendingConflictReport(limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func aServerRestoredFromABackupIsToldAgain(kind: StoreKind) async throws {
        let team = try await Team(kind)
        let alice = try team.replica("alice"), bob = try team.replica("bob")
        try Self.title(alice, "a shared title")
        try await team.sync(alice)
        try await team.sync(bob)
        let backup = try await team.server.backup()
        _ = try await Self.makeConflict(team, alice, bob)
        try await team.sync(alice)
        try Self.title(alice, "one title")
        try await team.sync(alice)
        try await team.sync(bob)
        #expect(try await team.counts() == ConflictCounts(open: 0, opened: 1))
        let restored = try await backup.restore()
        defer { restored.close() }
        #expect(try await restored.storage.conflictCounts() == ConflictCounts(open: 0, opened: 0))
        // Their cursors point past the restored feed: refused, they report everything again.
        for replica in [bob, alice] {
            var driver = SyncDriver(replica: replica)
            try await driver.run(over: restored.transport(analyst: replica.analyst))
        }
        #expect(try await restored.storage.conflictCounts() == ConflictCounts(open: 0, opened: 1))
    }
}
