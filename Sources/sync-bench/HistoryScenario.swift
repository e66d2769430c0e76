import Foundation
import LocalStore
import SyncModel

/// Apply cost per version for one record whose history is short or long: the merge state is
/// O(writers of the field), so the cost should not grow with history (DESIGN §2.2).
enum HistoryScenario {
    static func microsecondsPerVersion(history: Int, applied: Int, path: String) throws -> Double {
        let target = try Replica.create(path: path, settings: BenchFixtures.settings).store
        let record = RecordID.random()
        let writers = try (0..<3).map { try Replica.inMemory(analyst: "writer\($0)") }
        // Three analysts take turns editing the record, each seeing the others' edits first.
        var written = 0
        while written < history {
            for writer in writers where written < history {
                let field = written % 2 == 0 ? "title" : "assessment"
                let version = try writer.write([FieldChange(record: record, kind: "cell", field: field, value: .text("Revision \(written)\n\nSecond paragraph."))], at: Int64(written))
                for other in writers where other.id != writer.id { try other.store.apply(version) }
                try target.apply(version)
                written += 1
            }
        }
        // Then one more analyst's edits arrive one by one, as a slow sync would deliver them.
        let late = try Replica.inMemory(analyst: "late")
        try late.store.apply(try writers[0].store.versions(notCoveredBy: VersionVector(), limit: .max).versions)
        let incoming = try (0..<applied).flatMap { index in
            try late.write([FieldChange(record: record, kind: "cell", field: index % 2 == 0 ? "title" : "assessment",
                                        value: .text("Late revision \(index)\n\nSecond paragraph."))], at: Int64(history + index))
        }
        let start = ContinuousClock.now
        for version in incoming { try target.apply([version]) }
        return seconds(ContinuousClock.now - start) * 1e6 / Double(applied)
    }
}
