import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import Testing

@Suite struct LocalFaultTests {
    @Test func aFullDiskFailsTheWriteCleanlyWithNothingHalfWritten() throws {
        let folder = TemporaryFolder()
        let replica = try Replica.create(path: folder.path("replica.sqlite"), settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "alice"))
        try replica.write([change("number", .int(20)), change("title", .text("Before the disk filled"))], at: 1)
        let before = try replica.store.canonicalDump()
        // Given a disk with no room left: the database may not grow past its current size
        try replica.store.writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count")!
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        // When a large write arrives
        let big = (0..<200).map { change("assessment", .text(String(repeating: "paragraph \($0) ", count: 200))) }
        #expect {
            try replica.write(big, at: 2)
        } throws: { error in
            guard case StoreError.writeFailed(let reason) = error else { return false }
            return reason.contains("full") && "\(error)".contains("nothing was changed")
        }
        // Then nothing of it was kept, and the replica still reads and writes small changes
        #expect(try replica.store.canonicalDump() == before)
        #expect(try replica.store.versionVector() == VersionVector([replica.id: 2]))
        let integrity = try replica.store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
    }
}
