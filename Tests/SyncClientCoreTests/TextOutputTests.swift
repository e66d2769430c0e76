import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import Testing

/// Human output that a first week with the tools found wanting.
@Suite struct TextOutputTests {
    static func cell(_ number: Int64, _ title: String) -> RecordSnapshot {
        RecordSnapshot(id: .random(), kind: "cell", deleted: false, fields: [
            "number": FieldSnapshot(value: .int(number), conflict: nil, headCount: 1),
            "title": FieldSnapshot(value: .text(title), conflict: nil, headCount: 1),
        ])
    }

    @Test func cellsSharingANumberAreFlaggedOnBothRows() {
        let rows = DashboardRow.rows(cells: [Self.cell(22, "Alice's 22"), Self.cell(22, "Bob's 22"), Self.cell(23, "Alone")], signals: [])
        #expect(rows.map(\.sharedNumber) == [true, true, false])
        #expect(rows.map(\.openConflicts) == [1, 1, 0])
        let text = TextOutput.dashboard(rows, style: TextStyle(color: false, width: 200, now: 0))
        #expect(text.components(separatedBy: "1 (number shared)").count - 1 == 2, "\(text)")
    }

    @Test func aTableIsAsWideAsItsLinesWhenNotNarrowed() {
        let title = "Burden-Sharing & Alliance Architecture Under Sustained Fiscal Pressure Across the Region"
        let text = TextOutput.dashboard(DashboardRow.rows(cells: [Self.cell(20, title)], signals: []), style: TextStyle(color: false, width: .max, now: 0))
        #expect(text.contains(title))
    }

    @Test func statusDatesTheLastSyncAsEveryHumanTimeIs() {
        let synced: Int64 = 1_771_407_000_000  // 2026-02-18 09:30:00 UTC
        let status = OutputJSON.Status(replica: "r", analyst: "alice", server: "http://s", versions: 1, pending: 0, pendingRecords: [],
                                       openConflicts: 0, lastSync: (time: synced, server: "http://s"))
        let text = TextOutput.status(status, labels: [:], style: TextStyle(color: false, width: 80, now: synced + 3 * 86_400_000))
        #expect(text.hasSuffix("Synced   2026-02-18 09:30:00 UTC, 3 days ago with http://s\n"), "\(text)")
        #expect(status.lastSync?.time == "2026-02-18T09:30:00.000Z", "--json keeps ISO 8601")
    }
}
