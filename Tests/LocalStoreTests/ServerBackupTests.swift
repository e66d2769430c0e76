import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import Testing

/// `sync-server backup` and `restore` underneath: a checked copy of a live server file, moved
/// into place whole or not at all.
@Suite struct ServerBackupTests {
    /// A server file holding `count` writes of alice's and as many of bob's.
    static func server(in folder: TemporaryFolder, writes count: Int = 20) async throws -> SQLiteServerStore {
        let server = try SQLiteServerStore.open(path: folder.path("server.sqlite"), create: true)
        for name in ["alice", "bob"] {
            try server.addAnalyst(name: name, tokenHash: "hash-\(name)", at: 0)
            let replica = try Replica.inMemory(analyst: name)
            let versions = try (0..<count).flatMap { index in
                try replica.write([change("title", .text("\(name) \(index)"))], at: Int64(index))
            }
            _ = try await server.exchange(analyst: name, clientVector: VersionVector(), versions: versions, pageLimit: 1, at: 0)
        }
        return server
    }

    /// Files in `folder` other than those named: what a failed backup left behind.
    static func leftovers(_ folder: TemporaryFolder, besides names: Set<String>) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { name in
            !names.contains(where: { name == $0 || name.hasPrefix($0 + "-") })
        }
    }

    @Test(arguments: SQLiteServerStore.BackupMethod.allCases)
    func aBackupHoldsEverythingTheServerHeldAndRecordsItsTime(method: SQLiteServerStore.BackupMethod) async throws {
        // Given a serving file with forty versions
        let folder = TemporaryFolder()
        let server = try await Self.server(in: folder)
        // When it is backed up
        let summary = try server.backup(to: folder.path("backup.sqlite"), force: false, at: 1_234, method: method)
        // Then the copy stands alone, holds the same state, and the time is recorded
        let head = try server.feedHead()
        #expect(summary.versions == 40 && summary.head == head && summary.bytes > 0)
        #expect(!FileManager.default.fileExists(atPath: folder.path("backup.sqlite-wal")))
        let copy = try SQLiteServerStore.open(path: folder.path("backup.sqlite"), create: false)
        #expect(try copy.canonicalDump() == (try server.canonicalDump()))
        try copy.close()
        let last = try #require(try server.lastBackup())
        #expect(last.time == 1_234 && last.file == folder.path("backup.sqlite"))
        #expect(try Self.leftovers(folder, besides: ["server.sqlite", "backup.sqlite"]) == [])
    }

    @Test func aBackupNeverReplacesAFileWithoutForce() async throws {
        let folder = TemporaryFolder()
        let server = try await Self.server(in: folder)
        let target = folder.path("backup.sqlite")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: target))
        #expect(throws: BackupError.exists(target)) { try server.backup(to: target, force: false, at: 1) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious")
        #expect(try server.lastBackup() == nil, "a refused backup records no time")
        // With --force the old file gives way to a checked copy.
        #expect(try server.backup(to: target, force: true, at: 2).versions == 40)
        #expect(try Self.leftovers(folder, besides: ["server.sqlite", "backup.sqlite"]) == [])
    }

    @Test func aBrokenFeedChainFailsTheRestoreAndLeavesTheTargetAlone() async throws {
        // Given a backup whose feed row 7 was altered after the copy
        let folder = TemporaryFolder()
        let server = try await Self.server(in: folder)
        let backup = folder.path("backup.sqlite")
        _ = try server.backup(to: backup, force: false, at: 1)
        let queue = try DatabaseQueue(path: backup)
        try await queue.write { db in try db.execute(sql: "UPDATE feed SET chain = chain + 1 WHERE seq = 7") }
        try queue.close()
        // When it is restored
        let target = folder.path("restored.sqlite")
        #expect(throws: BackupError.damaged(path: backup, reason: "the feed's chain breaks at position 7")) {
            try SQLiteServerStore.restore(from: backup, to: target, force: false)
        }
        // Then nothing was written
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect(try Self.leftovers(folder, besides: ["server.sqlite", "backup.sqlite"]) == [])
    }

    @Test func aFileThatIsNotAServerDatabaseIsRefusedWithASentence() throws {
        let folder = TemporaryFolder()
        let source = folder.path("notes.txt")
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: source))
        let error = #expect(throws: BackupError.self) { try SQLiteServerStore.restore(from: source, to: folder.path("server.sqlite"), force: false) }
        #expect(error?.description.hasPrefix("\(source) is not a sound server backup: ") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: folder.path("server.sqlite")))
    }

    @Test func aRestoreWithForceReplacesTheFileAndDropsItsStaleWriteAheadLog() async throws {
        // Given a backup, and a server file that went on (and left a -wal, as a killed server does)
        let folder = TemporaryFolder()
        let server = try await Self.server(in: folder)
        let backup = folder.path("backup.sqlite")
        _ = try server.backup(to: backup, force: false, at: 1)
        let expected = try server.canonicalDump()
        try server.addAnalyst(name: "carol", tokenHash: "hash-carol", at: 0)
        try server.close()
        let target = folder.path("server.sqlite")
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: target + "-wal"))
        // When the backup is restored over it
        #expect(throws: BackupError.exists(target)) { try SQLiteServerStore.restore(from: backup, to: target, force: false) }
        let summary = try SQLiteServerStore.restore(from: backup, to: target, force: true)
        // Then the file is the backup's state
        #expect(summary.versions == 40)
        #expect(!FileManager.default.fileExists(atPath: target + "-wal"))
        let restored = try SQLiteServerStore.open(path: target, create: false)
        #expect(try restored.canonicalDump() == expected)
        try restored.close()
    }
}
