import Foundation
@testable import LocalStore
import SyncModel
import LocalStore
import TestSupport

/// A fresh temporary folder, removed when the test's value goes away.
final class TemporaryFolder {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("field-sync-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

func makeEmptyTestReplica(_ analyst: String = "alice") throws -> Replica {
    try Replica.inMemory(analyst: analyst)
}

/// `replica` over the same store with some of its settings changed (how many writes its log
/// holds, whether it takes batches field by field).
func reconfigured(_ replica: Replica, _ change: (inout Store) -> Void) -> Replica {
    var store = replica.store
    change(&store)
    return Replica(store: store, id: replica.id, analyst: replica.analyst)
}

func makeEmptyTestServerStore() throws -> SQLiteServerStore {
    try SQLiteServerStore.inMemory()
}

let cellID = RecordID("22222222-2222-4222-8222-222222222222")!

func change(_ field: String, _ value: FieldValue, record: RecordID = cellID, kind: String = "cell") -> FieldChange {
    FieldChange(record: record, kind: kind, field: field, value: value)
}
