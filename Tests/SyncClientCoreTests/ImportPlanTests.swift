import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import Testing

/// Importing an export builds on the state it was taken at: unchanged files write nothing, hand
/// edits are ordinary later edits, and what others changed since stands.
@Suite struct ImportPlanTests {
    static let cell = RecordID("20202020-0000-4000-8000-000000000020")!
    static let signal = RecordID("5151aaaa-0000-4000-8000-000000000001")!

    /// Alice's replica with cell 20 and a signal tagging it, and Bob's holding the same versions.
    static func team() throws -> (alice: Replica, bob: Replica) {
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try alice.write([
            FieldChange(record: cell, kind: "cell", field: "number", value: .int(20)),
            FieldChange(record: cell, kind: "cell", field: "title", value: .text("Burden-Sharing")),
            FieldChange(record: cell, kind: "cell", field: "trend", value: .text("Steady")),
            FieldChange(record: cell, kind: "cell", field: "relatedCells", value: .list(["16", "17"])),
            FieldChange(record: cell, kind: "cell", field: "assessment", value: .text("First.\n\nSecond.\n\nThird.")),
            FieldChange(record: signal, kind: "signal", field: "title", value: .text("Board of Peace")),
            FieldChange(record: signal, kind: "signal", field: "date", value: .text("2026-02")),
            FieldChange(record: signal, kind: "signal", field: "cells", value: .list(["20"])),
        ], at: 1)
        try bob.store.apply(try alice.pending())
        return (alice, bob)
    }

    static func export(_ replica: Replica, markdown: Bool = false) throws -> String {
        let snapshot = try replica.store.snapshot(kinds: ["cell", "signal"])
        // References by number, as `export` writes them.
        let directory = try CellDirectory(store: replica.store)
        let (cells, signals) = (directory.shown(snapshot.records["cell"] ?? []), directory.shown(snapshot.records["signal"] ?? []))
        return markdown
            ? MarkdownDashboard.export(cells: cells, signals: signals, state: snapshot.state)
            : DashboardFile.export(cells: cells, signals: signals, state: snapshot.state)
    }

    @discardableResult
    static func importFile(_ text: String, into replica: Replica) throws -> ImportPlan {
        let contents = text.hasPrefix("{") ? try DashboardFile.read(text) : try MarkdownDashboard.read(text)
        let plan = try ImportPlan.make(for: contents, in: replica.store)
        if !plan.changes.isEmpty { try replica.write(plan.changes, basedOn: plan.states, at: 9) }
        return plan
    }

    @Test func theStateRoundTripsThroughBothFormats() throws {
        let (alice, _) = try Self.team()
        let state = try alice.store.versionVector()
        #expect(try DashboardFile.read(try Self.export(alice)).state == state)
        #expect(try MarkdownDashboard.read(try Self.export(alice, markdown: true)).state == state)
    }

    @Test(arguments: [false, true])
    func anUnchangedFileWritesNothingAndWhatChangedSinceStands(markdown: Bool) throws {
        let (alice, _) = try Self.team()
        let file = try Self.export(alice, markdown: markdown)
        // After the export: the trend changes and a related cell is removed
        try alice.write([FieldChange(record: Self.cell, kind: "cell", field: "trend", value: .text("Slipping")),
                         FieldChange(record: Self.cell, kind: "cell", field: "relatedCells", value: .list(["16"]))], at: 2)
        let before = try alice.store.versionVector()
        #expect(try Self.importFile(file, into: alice).changes.isEmpty)
        #expect(try alice.store.versionVector() == before)
        let record = try #require(try alice.store.record(Self.cell))
        #expect(record.value("trend") == .text("Slipping"))
        #expect(record.value("relatedCells") == .list(["16"]), "a removed set item does not come back")
    }

    @Test func aHandEditIsAnOrdinaryLaterEdit() throws {
        let (alice, bob) = try Self.team()
        let file = try Self.export(alice).replacingOccurrences(of: "\"Burden-Sharing\"", with: "\"Burden-Sharing, revised\"")
        let plan = try Self.importFile(file, into: bob)
        #expect(plan.changes.map(\.field) == ["title"])
        try alice.store.apply(try bob.pending())
        #expect(try alice.store.conflicts().isEmpty)
        #expect(try alice.store.record(Self.cell)?.value("title") == .text("Burden-Sharing, revised"))
    }

    @Test func aHandEditOfAFieldChangedSinceIsAConflictAndProseMerges() throws {
        let (alice, bob) = try Self.team()
        var file = try Self.export(alice)
        // Since the export, Alice retitles the cell and edits the first paragraph
        try alice.write([FieldChange(record: Self.cell, kind: "cell", field: "title", value: .text("Alice's title")),
                         FieldChange(record: Self.cell, kind: "cell", field: "assessment", value: .text("First, revised.\n\nSecond.\n\nThird."))], at: 2)
        try bob.store.apply(try alice.pending())
        // The file's copy changes the title and the third paragraph
        file = file.replacingOccurrences(of: "\"Burden-Sharing\"", with: "\"Bob's title\"")
            .replacingOccurrences(of: "Third.", with: "Third, revised.")
        try Self.importFile(file, into: bob)
        let record = try #require(try bob.store.record(Self.cell))
        #expect(record.value("assessment") == .text("First, revised.\n\nSecond.\n\nThird, revised."))
        let conflicts = try bob.store.conflicts()
        #expect(conflicts.map(\.field) == ["title"])
        #expect(Set(conflicts.first?.heads.map(\.value) ?? []) == [.text("Alice's title"), .text("Bob's title")])
    }

    @Test func aReplicaWithoutTheStateIsToldToSyncAndNothingIsWritten() throws {
        let (alice, _) = try Self.team()
        let carol = try Replica.inMemory(analyst: "carol")
        try carol.write([FieldChange(record: RecordID.random(), kind: "cell", field: "title", value: .text("Carol's own"))], at: 1)
        let held = try carol.store.versionVector()
        let refused = #expect(throws: ImportPlan.StateMissing.self) { try Self.importFile(try Self.export(alice), into: carol) }
        #expect(refused?.description.contains("import with --as-own-edits") == true, "the error names the way out offline")
        #expect(try carol.store.versionVector() == held)
        // Once it holds the state, the same file writes nothing
        try carol.store.apply(try alice.pending())
        #expect(try Self.importFile(try Self.export(alice), into: carol).changes.isEmpty)
    }

    @Test func aReplicaWithoutTheStateTakesTheFileAsItsOwnEditsWhenAsked() throws {
        let (alice, _) = try Self.team()
        let carol = try Replica.inMemory(analyst: "carol")
        try carol.write([FieldChange(record: RecordID.random(), kind: "cell", field: "title", value: .text("Carol's own"))], at: 1)
        let contents = try DashboardFile.read(try Self.export(alice))
        let plan = try ImportPlan.make(for: contents, in: carol.store, asOwnEdits: true)
        #expect(plan.stateSetAside && plan.states.allSatisfy { $0 == nil })
        try carol.write(plan.changes, basedOn: plan.states, at: 9)
        #expect(try carol.store.record(Self.cell)?.value("title") == .text("Burden-Sharing"))
    }

    /// A page handed over on a stick to a replica that never synced: no sync could bring the
    /// exporter's state, so the file's values become the new replica's own edits, and its export
    /// holds the same records.
    @Test(arguments: [false, true])
    func anEmptyReplicaTakesAnExportAndExportsTheSameRecords(markdown: Bool) throws {
        let (alice, _) = try Self.team()
        let file = try Self.export(alice, markdown: markdown)
        let fresh = try Replica.inMemory(analyst: "carol")
        let plan = try Self.importFile(file, into: fresh)
        #expect(plan.stateSetAside && !plan.changes.isEmpty)
        func records(_ text: String) throws -> [String] {
            let contents = markdown ? try MarkdownDashboard.read(text) : try DashboardFile.read(text)
            return contents.records.map { "\($0.id) \($0.kind) \($0.fields.sorted { $0.key < $1.key })" }
        }
        #expect(try records(try Self.export(fresh, markdown: markdown)) == (try records(file)))
        #expect(try Self.importFile(try Self.export(fresh, markdown: markdown), into: fresh).changes.isEmpty)
    }

    /// The same hand-edited file imported three times writes its edit once.
    @Test(arguments: [false, true])
    func aHandEditedFileImportedAgainWritesNothing(markdown: Bool) throws {
        let (alice, _) = try Self.team()
        let file = try Self.export(alice, markdown: markdown).replacingOccurrences(of: "Burden-Sharing", with: "Burden-Sharing, revised")
        #expect(try Self.importFile(file, into: alice).changes.map(\.field) == ["title"])
        let after = try alice.store.versionVector()
        #expect(try Self.importFile(file, into: alice).changes.isEmpty)
        #expect(try Self.importFile(file, into: alice).changes.isEmpty)
        #expect(try alice.store.versionVector() == after)
        #expect(try alice.store.conflicts().isEmpty)
    }

    @Test func aFileWithoutAStateIsWrittenOverWhatTheReplicaHolds() throws {
        let (alice, _) = try Self.team()
        let file = DashboardFile.export(cells: try alice.store.records(kind: "cell"), signals: try alice.store.records(kind: "signal"))
            .replacingOccurrences(of: "\"Steady\"", with: "\"Faster\"")
        let plan = try Self.importFile(file, into: alice)
        #expect(!plan.basedOnState && plan.changes.map(\.field) == ["trend"])
        #expect(try alice.store.record(Self.cell)?.value("trend") == .text("Faster"))
    }

    @Test func aNewCellInMarkdownMayLeaveOutItsID() throws {
        let (alice, _) = try Self.team()
        let file = try Self.export(alice, markdown: true) + "\n\n# Cell 21 — A new cell\n\n- trajectory: Holding\n"
        let plan = try Self.importFile(file, into: alice)
        #expect(Set(plan.changes.map(\.field)) == ["number", "title", "trajectory"])
        let cells = try alice.store.records(kind: "cell")
        #expect(cells.contains { $0.value("number") == .int(21) && $0.value("title") == .text("A new cell") })
    }
}
