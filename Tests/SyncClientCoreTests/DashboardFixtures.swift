import Foundation
import LocalStore
import SyncClientCore

/// The sample dashboard and import/export steps shared by the JSON and Markdown suites.
enum DashboardFixtures {
    /// The project's own sample dashboard.
    static let samplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/sample-dashboard.json").path

    static func sample() throws -> String { try String(contentsOfFile: samplePath, encoding: .utf8) }

    /// Writes parsed records into `replica` as `import` does.
    static func importRecords(_ records: [DashboardFile.ImportedRecord], into replica: Replica) throws {
        let changes = try DashboardFile.changes(for: records, in: replica.store)
        if !changes.isEmpty { try replica.write(changes, at: 1) }
    }

    static func importJSON(_ text: String, into replica: Replica) throws {
        try importRecords(try DashboardFile.parse(text), into: replica)
    }

    static func importMarkdown(_ text: String, into replica: Replica) throws {
        try importRecords(try MarkdownDashboard.parse(text), into: replica)
    }

    static func exportJSON(_ replica: Replica) throws -> String {
        DashboardFile.export(cells: try replica.store.records(kind: "cell"), signals: try signals(replica))
    }

    static func exportMarkdown(_ replica: Replica) throws -> String {
        MarkdownDashboard.export(cells: try replica.store.records(kind: "cell"), signals: try signals(replica))
    }

    static func signals(_ replica: Replica) throws -> [RecordSnapshot] {
        try replica.store.records(kind: "signal").sorted { $0.id < $1.id }
    }
}
