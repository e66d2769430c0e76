import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import Testing

/// Snapshots of human output (colour off, 80 columns, a fixed clock) and of every `--json`
/// shape, compared with the files in `Snapshots/`. After an intended change, rerun with
/// `SNAPSHOT_RECORD=1` and review the diff of those files.
@Suite struct SnapshotTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    static let now: Int64 = 1_771_632_000_000  // 2026-02-21 00:00:00 UTC
    static let style = TextStyle(color: false, width: 80, now: now)

    static func assertSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = folder.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["SNAPSHOT_RECORD"] != nil {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "\(name) differs from its snapshot", sourceLocation: sourceLocation)
    }

    /// Two replicas with a cell, signals, a register conflict and a prose conflict.
    struct Fixture {
        let alice: Replica
        let bob: Replica
        let cell = RecordID("20202020-0000-4000-8000-000000000020")!

        init() throws {
            alice = try Replica.inMemory(analyst: "alice", id: ReplicaID("aaaaaaaa-0000-4000-8000-00000000000a")!)
            bob = try Replica.inMemory(analyst: "bob", id: ReplicaID("bbbbbbbb-0000-4000-8000-00000000000b")!)
            func set(_ field: String, _ value: FieldValue, record: RecordID? = nil, kind: String = "cell") -> FieldChange {
                FieldChange(record: record ?? cell, kind: kind, field: field, value: value)
            }
            let t0 = SnapshotTests.now - 30 * 86_400_000
            try bob.store.apply(try alice.write([
                set("number", .int(20)), set("title", .text("Burden-Sharing & Alliance Architecture")),
                set("tier", .text("Tier 3 — Multi-Theater Projection")), set("trajectory", .text("Advancing")),
                set("trend", .text("Improving with execution-tempo variation")), set("lastAssessed", .text("2026-01-26")),
                set("assessment", .text("Advancing. Doctrine has been deployed in several theatres and burden-sharing has accelerated.\n\nExecution tempo varies across partners.")),
                set("commitments", .list(["Hague Commitment 5% of GDP by 2035"])),
                set("keyIndicators", .list(["NATO defence-spending execution", "Indo-Pacific partner budgets"])),
                set("relatedCells", .list(["16", "17"])),
            ], at: t0))
            let board = RecordID("5151aaaa-0000-4000-8000-000000000001")!, hague = RecordID("5151bbbb-0000-4000-8000-000000000002")!
            try bob.store.apply(try alice.write([
                set("date", .text("2026-02-18"), record: board, kind: "signal"), set("title", .text("Board of Peace first meeting (Washington)"), record: board, kind: "signal"),
                set("direction", .text("Advancing"), record: board, kind: "signal"), set("directionNote", .text("architectural consolidation"), record: board, kind: "signal"),
                set("source", .text("White House / State Department"), record: board, kind: "signal"), set("cells", .list(["18", "20", "21"]), record: board, kind: "signal"),
                set("date", .text("2025-06"), record: hague, kind: "signal"), set("title", .text("Hague Commitment adopted"), record: hague, kind: "signal"),
                set("direction", .text("Advancing"), record: hague, kind: "signal"), set("cells", .list(["17", "20"]), record: hague, kind: "signal"),
            ], at: t0 + 1000))
            let fromAlice = try alice.write([set("trajectory", .text("Holding")),
                                             set("assessment", .text("Holding. Doctrine has been deployed in several theatres.\n\nExecution tempo varies across partners."))], at: t0 + 2 * 86_400_000)
            let fromBob = try bob.write([set("trajectory", .text("Drifting")),
                                         set("assessment", .text("Drifting. Doctrine has been deployed in several theatres and burden-sharing has stalled.\n\nExecution tempo varies across partners."))], at: t0 + 3 * 86_400_000)
            try alice.store.apply(fromBob)
            try bob.store.apply(fromAlice)
            _ = try alice.write([set("trend", .text("Pending review"))], at: SnapshotTests.now - 3_600_000)
        }

        func signals() throws -> [RecordSnapshot] {
            try alice.store.records(kind: "signal").sorted { ($0.text("date") ?? "") > ($1.text("date") ?? "") }
        }
    }

    @Test func cellShow() throws {
        let fixture = try Fixture()
        let cell = try #require(try fixture.alice.store.record(fixture.cell))
        try Self.assertSnapshot(TextOutput.cell(cell, signals: try fixture.signals(), style: Self.style), named: "cell-show.txt")
        try Self.assertSnapshot(OutputJSON.text(OutputJSON.Record(cell)), named: "cell-show.json")
    }

    @Test("the dashboard fits the terminal, down to 60 columns", arguments: [60, 72, 80, 100, 120])
    func dashboardFits(width: Int) throws {
        let sample = try Replica.inMemory(analyst: "alice")
        try DashboardFixtures.importJSON(try DashboardFixtures.sample(), into: sample)
        let rows = DashboardRow.rows(cells: try sample.store.records(kind: "cell"), signals: try sample.store.records(kind: "signal"))
        let text = TextOutput.dashboard(rows, style: TextStyle(color: false, width: width, now: Self.now))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 6 && lines.allSatisfy { $0.count <= width }, "\(text)")
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("1") || $0.hasPrefix("2") }, "every row starts with its cell number")
    }

    @Test func dashboard() throws {
        let fixture = try Fixture()
        let rows = DashboardRow.rows(cells: try fixture.alice.store.records(kind: "cell"), signals: try fixture.signals())
        try Self.assertSnapshot(TextOutput.dashboard(rows, style: Self.style), named: "dashboard.txt")
        try Self.assertSnapshot(OutputJSON.text(rows), named: "dashboard.json")
    }

    @Test func conflictsShow() throws {
        let fixture = try Fixture()
        let conflicts = try fixture.alice.store.conflicts()
        #expect(conflicts.count == 2)
        let own = try fixture.alice.ownReplicas()
        let text = conflicts.map { TextOutput.conflict($0, recordLabel: "cell 20 (20202020)", ownReplicas: own, style: Self.style) }.joined(separator: "\n")
        try Self.assertSnapshot(text, named: "conflicts-show.txt")
        try Self.assertSnapshot(OutputJSON.text(conflicts.map(OutputJSON.ConflictInfo.init)), named: "conflicts.json")
    }

    @Test func status() throws {
        let fixture = try Fixture()
        let pending = try fixture.alice.pending()
        let status = OutputJSON.Status(
            replica: fixture.alice.id.rawValue, analyst: "alice", server: "http://127.0.0.1:8080",
            versions: try fixture.alice.store.versionVector().total, pending: pending.count,
            pendingRecords: [OutputJSON.PendingRecord(record: fixture.cell.rawValue, kind: "cell", versions: pending.filter { $0.record == fixture.cell }.count)],
            openConflicts: try fixture.alice.store.conflicts().count, carrying: 3)
        try Self.assertSnapshot(TextOutput.status(status, labels: [fixture.cell.rawValue: "cell 20 (20202020)"]), named: "status.txt")
        try Self.assertSnapshot(OutputJSON.text(status), named: "status.json")
    }

    @Test func historyAndSyncShapes() throws {
        let fixture = try Fixture()
        let log = try fixture.alice.store.history(record: fixture.cell, field: "trajectory").map { OutputJSON.VersionInfo($0, located: true) }
        try Self.assertSnapshot(OutputJSON.text(log), named: "log.json")
        let heads = try fixture.alice.store.fieldHeads(record: fixture.cell)
        let blame = ["title", "trajectory"].map { OutputJSON.BlameEntry(field: $0, value: .null, setBy: heads[$0]!.map { OutputJSON.VersionInfo($0) }) }
        try Self.assertSnapshot(OutputJSON.text(blame), named: "blame.json")
        let summary = OutputJSON.SyncSummary(server: "http://127.0.0.1:8080", requests: 3, sent: 2, received: 4, mergedCleanly: 1, newConflicts: ["0123456789abcdef"])
        try Self.assertSnapshot(OutputJSON.text(summary), named: "sync.json")
        let settings = EffectiveSettings(saved: ReplicaSettings(server: "http://127.0.0.1:8080", token: "alice.secret-part", analyst: "alice"),
                                         server: nil, token: nil, environment: ["SYNC_SERVER": "http://10.0.0.5:8080"])
        let config = OutputJSON.Config(replicaPath: "alice.sqlite", replica: fixture.alice.id.rawValue, analyst: "alice", settings: settings)
        try Self.assertSnapshot(OutputJSON.text(config), named: "config.json")
    }

    @Test func news() throws {
        let fixture = try Fixture()
        let news = try NewsReport.sinceLastLook(fixture.bob, now: Self.now)
        try Self.assertSnapshot(OutputJSON.text(news), named: "news.json")
        try Self.assertSnapshot(news.lines.joined(separator: "\n") + "\n", named: "news.txt")
    }

    @Test func colourIsOnlyUsedWhenAsked() throws {
        let fixture = try Fixture()
        let cell = try #require(try fixture.alice.store.record(fixture.cell))
        let plain = TextOutput.cell(cell, signals: [], style: Self.style)
        var coloured = Self.style
        coloured.color = true
        let painted = TextOutput.cell(cell, signals: [], style: coloured)
        #expect(!plain.contains("\u{1B}["))
        #expect(painted.contains("\u{1B}[1m") && painted.contains("\u{1B}[31m"))
        #expect(painted.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression) == plain)
    }

    @Test("relative dates", arguments: [
        ("2026-02-18", "2026-02-18, 3 days ago"), ("2026-02-21", "2026-02-21, today"), ("2026-02-25", "2026-02-25, in 4 days"),
        ("2025-06", "2025-06, 8 months ago"), ("2026-02", "2026-02, this month"), ("2024", "2024, 2 years ago"), ("2026", "2026, this year"),
    ])
    func relativeDates(text: String, expected: String) {
        #expect(Self.style.date(text) == expected)
    }
}
