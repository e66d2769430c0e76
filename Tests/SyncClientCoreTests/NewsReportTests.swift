import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol
import Testing

/// `sync-client news` and the web page's report: what arrived since the mark, grouped by
/// record and author, and the mark that a look moves.
@Suite struct NewsReportTests {
    static func set(_ replica: Replica, _ record: RecordID, _ kind: String, _ field: String, _ value: FieldValue, at time: Int64) throws {
        try replica.write([FieldChange(record: record, kind: kind, field: field, value: value)], at: time)
    }

    /// alice and bob on one server, with cell 20 made by alice and synced to both.
    static func team() async throws -> (server: SQLiteServerStore, alice: Replica, bob: Replica, cell: RecordID) {
        let server = try ReplicaSyncTests.server(["alice", "bob"])
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        let cell = ReplicaSyncTests.cell(20, "Alliances")
        try alice.write(cell, at: 1_000)
        _ = try await ReplicaSyncTests.sync(alice, server)
        _ = try await ReplicaSyncTests.sync(bob, server)
        return (server, alice, bob, cell[0].record)
    }

    @Test func theFirstLookListsWhatArrivedAndASecondLookNothing() async throws {
        // Given bob, who received alice's cell 20 and wrote a field of his own
        let (_, _, bob, cell) = try await Self.team()
        try Self.set(bob, cell, "cell", "trend", .text("Improving"), at: 2_000)
        // When he looks for the first time
        let first = try NewsReport.sinceLastLook(bob, now: 3_000)
        // Then alice's cell is new, with its fields by her; his own write is not news
        #expect(first.since.lastLook && first.since.time == nil)
        #expect(first.versions == 2 && first.authors == ["alice"])
        #expect(first.cells.map(\.number) == [20] && first.cells[0].new)
        #expect(first.cells[0].fields == [.init(field: "number", by: ["alice"], versions: 1), .init(field: "title", by: ["alice"], versions: 1)])
        #expect(first.lines.first == "Since this replica began (no look yet): 2 new versions from alice")
        // And once the look is marked, the next finds nothing
        try bob.moveNewsMark(to: first.mark)
        let second = try NewsReport.sinceLastLook(bob, now: 4_000)
        #expect(second.isEmpty && second.cells.isEmpty)
        #expect(second.lines == ["Since your last look (1970-01-01 00:00:03 UTC): nothing new."])
    }

    @Test func changesToAKnownCellNameTheirFieldsAuthorsAndCounts() async throws {
        let (server, alice, bob, cell) = try await Self.team()
        try bob.moveNewsMark(to: try NewsReport.sinceLastLook(bob, now: 2_000).mark)
        // alice edits the trend twice and adds a signal on cell 20
        try Self.set(alice, cell, "cell", "trend", .text("Improving"), at: 3_000)
        try Self.set(alice, cell, "cell", "trend", .text("Improving fast"), at: 3_100)
        let signal = RecordID.random()
        try alice.write([FieldChange(record: signal, kind: "signal", field: "title", value: .text("Summit")),
                         FieldChange(record: signal, kind: "signal", field: "date", value: .text("2026-02-18")),
                         FieldChange(record: signal, kind: "signal", field: "cells", value: .list([cell.rawValue]))], at: 3_200)
        _ = try await ReplicaSyncTests.sync(alice, server)
        _ = try await ReplicaSyncTests.sync(bob, server)
        let news = try NewsReport.sinceLastLook(bob, now: 4_000)
        #expect(news.versions == 5)
        #expect(news.cells.count == 1 && !news.cells[0].new)
        #expect(news.cells[0].fields == [.init(field: "trend", by: ["alice"], versions: 2)])
        #expect(news.signals.map(\.title) == ["Summit"] && news.signals[0].new)
        #expect(news.lines == [
            "Since your last look (1970-01-01 00:00:02 UTC): 5 new versions from alice",
            "Cells", "  20  Alliances", "    trend  alice (2 versions)",
            "New signals", "  \(signal.rawValue.prefix(8))  2026-02-18  Summit  by alice",
        ])
    }

    @Test func aConflictThatOpensAndOneThatClosesAreBothNews() async throws {
        // Given a conflict on the trend, open at bob's last look
        let (server, alice, bob, cell) = try await Self.team()
        try Self.set(alice, cell, "cell", "trend", .text("Up"), at: 2_000)
        try Self.set(bob, cell, "cell", "trend", .text("Down"), at: 2_001)
        _ = try await ReplicaSyncTests.sync(alice, server)
        _ = try await ReplicaSyncTests.sync(bob, server)
        _ = try await ReplicaSyncTests.sync(alice, server)
        let trendConflict = try #require(try bob.store.conflicts().first)
        try bob.moveNewsMark(to: try NewsReport.sinceLastLook(bob, now: 3_000).mark)
        // When alice resolves it and opens another on the title
        try Self.set(alice, cell, "cell", "trend", .text("Up"), at: 4_000)
        try Self.set(alice, cell, "cell", "title", .text("Alliances (A)"), at: 4_001)
        try Self.set(bob, cell, "cell", "title", .text("Alliances (B)"), at: 4_002)
        _ = try await ReplicaSyncTests.sync(alice, server)
        _ = try await ReplicaSyncTests.sync(bob, server)
        // Then bob's news names both, by the cell's number
        let news = try NewsReport.sinceLastLook(bob, now: 5_000)
        let titleConflict = try #require(try bob.store.conflicts().first)
        #expect(news.closedConflicts.map(\.id) == [trendConflict.id.rawValue])
        #expect(news.newConflicts.map(\.id) == [titleConflict.id.rawValue])
        // And so does a look since a point before the resolution, the conflicts derived as they stood then
        let since = try NewsReport.since("1970-01-01T00:00:03Z", bob, now: 5_000)
        #expect(since.closedConflicts.map(\.id) == [trendConflict.id.rawValue] && since.newConflicts.map(\.id) == [titleConflict.id.rawValue])
        #expect(news.lines.suffix(4) == [
            "New conflicts", "  cell 20 title: see `sync-client conflicts show \(titleConflict.id)`",
            "Closed conflicts", "  cell 20 trend (conflict \(trendConflict.id))",
        ])
    }

    @Test func sinceAPointListsWhatOthersWroteAfterItWithoutTheMark() async throws {
        let (server, alice, bob, cell) = try await Self.team()
        try bob.moveNewsMark(to: try NewsReport.sinceLastLook(bob, now: 1_500).mark)
        try Self.set(alice, cell, "cell", "trend", .text("Up"), at: 5_000)
        _ = try await ReplicaSyncTests.sync(alice, server)
        _ = try await ReplicaSyncTests.sync(bob, server)
        // A moment before alice's edit: only the edit; a date: the whole day, the cell new
        let edit = try NewsReport.since("1970-01-01T00:00:04Z", bob, now: 6_000)
        #expect(edit.versions == 1 && !edit.cells[0].new && !edit.since.lastLook)
        #expect(edit.lines.first == "Since 1970-01-01T00:00:04Z (1970-01-01 00:00:04 UTC): 1 new version from alice")
        let day = try NewsReport.since("1970-01-01", bob, now: 6_000)
        #expect(day.versions == 3 && day.cells[0].new)
        // A version: what was written after it
        let dot = "\(alice.id.rawValue.prefix(8)):2"
        #expect(try NewsReport.since(dot, bob, now: 6_000).versions == 1)
        // The mark stays where the last look put it
        #expect(try NewsReport.sinceLastLook(bob, now: 6_000).versions == 1)
    }

    @Test(arguments: [
        ("yesterday", "'yesterday' is not a point in history: give a date (2026-02-18, 2026-02 or 2026), a moment (2026-02-18T09:30:00Z) or a version (replica:counter, as `sync-client log` prints it)"),
        ("now", "'now' is not in the past; give a point before now to see what arrived since"),
        ("2999-01-01", "'2999-01-01' is not in the past; give a point before now to see what arrived since"),
    ])
    func aPointThatIsNoneOrNotPastIsRefusedWithASentence(point: String, sentence: String) async throws {
        let (_, _, bob, _) = try await Self.team()
        #expect(throws: ClientError(sentence)) { try NewsReport.since(point, bob, now: 6_000) }
    }

    @Test func theMarkNeverMovesBack() async throws {
        let (server, alice, bob, cell) = try await Self.team()
        let early = try NewsReport.sinceLastLook(bob, now: 1_500).mark
        try Self.set(alice, cell, "cell", "trend", .text("Up"), at: 2_000)
        _ = try await ReplicaSyncTests.sync(alice, server)
        _ = try await ReplicaSyncTests.sync(bob, server)
        try bob.moveNewsMark(to: try NewsReport.sinceLastLook(bob, now: 3_000).mark)
        // A page shown before the edit arrived, marked after: the edit stays seen
        try bob.moveNewsMark(to: early)
        #expect(try NewsReport.sinceLastLook(bob, now: 4_000).isEmpty)
    }
}
