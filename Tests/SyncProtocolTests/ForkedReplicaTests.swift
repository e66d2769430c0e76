import Foundation
import LocalStore
import StoreKinds
import SyncModel
import SyncProtocol
import TestSupport
import Testing

/// A replica file copied to a second laptop, or restored from an old backup, has two histories
/// under one replica id. The sync must refuse rather than lose either side.
@Suite struct ForkedReplicaTests {
    static let record = RecordID("f0f0f0f0-0000-4000-8000-000000000001")!

    static func change(_ value: String) -> FieldChange {
        FieldChange(record: record, kind: "cell", field: "title", value: .text(value))
    }

    final class Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("forked-\(UUID().uuidString)")
        init() { try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        func copy(_ from: String, _ to: String) throws {
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path(from) + suffix) {
                try FileManager.default.copyItem(atPath: path(from) + suffix, toPath: path(to) + suffix)
            }
        }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    static func sync(_ replica: Replica, _ server: TestServer) async throws {
        var session = SyncDriver(replica: replica)
        try await session.run(over: server.transport(analyst: "alice"))
    }

    /// Whether `error` is a store's refusal of `dot`, sent again with other content.
    static func isDotReused(_ error: any Error, _ dot: Dot) -> Bool {
        (error as? any StorageError)?.code == .dotReused && "\(error)" == VersionRefusal.dotReused(dot).description
    }

    /// A laptop that wrote and synced once, and a copy of its replica file taken right then.
    static func laptopAndCopy(_ folder: Folder, _ server: TestServer, copyName: String = "b.sqlite") async throws -> (Replica, Replica) {
        let laptop = try Replica.create(path: folder.path("a.sqlite"), settings: ReplicaSettings(server: "x", token: "alice.t", analyst: "alice"))
        try laptop.write([Self.change("synced")], at: 1)
        try await Self.sync(laptop, server)
        try folder.copy("a.sqlite", copyName)
        let copy = try Replica.open(path: folder.path(copyName))
        #expect(copy.id == laptop.id)
        return (laptop, copy)
    }

    @Test(arguments: StoreKind.allCases) func aCopiedReplicaThatSyncsSecondIsRefusedAndKeepsItsWrites(kind: StoreKind) async throws {
        let folder = Folder()
        let server = try await kind.server(analysts: ["alice"])
        let (laptop, copy) = try await Self.laptopAndCopy(folder, server)
        // Both write offline; the first laptop syncs first and gets further ahead
        try laptop.write([Self.change("first laptop 1"), Self.change("first laptop 2")], at: 2)
        try copy.write([Self.change("second laptop")], at: 3)
        try await Self.sync(laptop, server)
        let serverBefore = try await server.storage.canonicalDump()
        await #expect(throws: SyncError.replicaForked(copy.id, local: 2, server: 3)) { try await Self.sync(copy, server) }
        #expect(try await server.storage.canonicalDump() == serverBefore)
        #expect(try copy.store.record(Self.record)?.value("title") == .text("second laptop"), "the copy's write is kept")
    }

    @Test(arguments: StoreKind.allCases) func aCopyThatDivergedAtTheSameCountIsToldItsDotsWereReused(kind: StoreKind) async throws {
        let folder = Folder()
        let server = try await kind.server(analysts: ["alice"])
        let (laptop, copy) = try await Self.laptopAndCopy(folder, server)
        try laptop.write([Self.change("first laptop")], at: 2)
        try copy.write([Self.change("second laptop"), Self.change("second laptop again")], at: 3)
        try await Self.sync(laptop, server)
        let serverBefore = try await server.storage.canonicalDump()
        // The copy is ahead in count, so it re-sends from what it had confirmed: the server sees the reused dot
        await #expect { try await Self.sync(copy, server) } throws: { Self.isDotReused($0, Dot(replica: copy.id, counter: 2)) }
        #expect(try await server.storage.canonicalDump() == serverBefore)
        #expect(try copy.store.record(Self.record)?.value("title") == .text("second laptop again"))
    }

    @Test(arguments: StoreKind.allCases) func aReplicaRestoredFromABackupIsRefused(kind: StoreKind) async throws {
        let folder = Folder()
        let server = try await kind.server(analysts: ["alice"])
        let (laptop, restored) = try await Self.laptopAndCopy(folder, server, copyName: "backup.sqlite")
        try laptop.write([Self.change("after the backup")], at: 2)
        try await Self.sync(laptop, server)
        try restored.write([Self.change("written after the restore")], at: 3)
        await #expect { try await Self.sync(restored, server) } throws: { Self.isDotReused($0, Dot(replica: restored.id, counter: 2)) }
        #expect(try await server.pulledByANewReplica(of: "alice").store.record(Self.record)?.value("title") == .text("after the backup"))
    }

    @Test(arguments: StoreKind.allCases) func aLostAnswerIsHarmless(kind: StoreKind) async throws {
        let server = try await kind.server(analysts: ["alice"])
        let laptop = try Replica.inMemory(analyst: "alice")
        try laptop.write([Self.change("one"), Self.change("two")], at: 1)
        // The server stores the push but the answer never arrives
        var cut = SyncSession(replica: laptop.id, start: try laptop.syncStart())
        guard case .send(let first) = try cut.start() else { Issue.record("the session starts by sending"); return }
        let answer = try await server.transport(analyst: "alice").send(first)
        guard case .readPush(let query) = try cut.received(answer, ownCounters: try laptop.counters(of: cut.own)) else {
            Issue.record("a pull by cursor reads the push next")
            return
        }
        let outgoing = try laptop.outgoing(acknowledged: query.acknowledged, limit: query.limit, ownOnly: query.ownOnly, budget: query.budget)
        guard case .sendThenStore(let push, let update) = try cut.pushRead(vector: outgoing.vector, versions: outgoing.versions) else {
            Issue.record("the push goes with the first page to store")
            return
        }
        _ = try laptop.receive(try laptop.check(answer.versions), serverVector: update.serverVector, cursor: update.cursor, deferFields: false)
        _ = try await server.transport(analyst: "alice").send(push)
        // The next sync re-sends what it never saw acknowledged, and it is taken as a duplicate
        try await Self.sync(laptop, server)
        #expect(try laptop.pending().isEmpty)
        #expect(try await server.pulledByANewReplica(of: "alice").store.canonicalDump() == laptop.store.canonicalDump())
    }

    enum Fork: String, CaseIterable {
        /// The copy is behind the laptop in count: the client sees the server ahead of it.
        case copyBehind
        /// The copy is ahead in count: the server sees a dot come back with other content.
        case copyAhead
        /// The laptop's file restored from a backup taken before its last sync.
        case restoredBackup
    }

    @Test("rekey moves a forked file's unsynced writes to a fresh id and nothing is lost", arguments: Fork.allCases, StoreKind.allCases)
    func rekeyRecoversAForkedReplica(fork: Fork, kind: StoreKind) async throws {
        let folder = Folder()
        let server = try await kind.server(analysts: ["alice"])
        let (laptop, copy) = try await Self.laptopAndCopy(folder, server)
        let other = RecordID("f0f0f0f0-0000-4000-8000-000000000002")!
        let copyWrites: [String]
        switch fork {
        case .copyBehind:
            try laptop.write([Self.change("laptop 1"), Self.change("laptop 2")], at: 2)
            copyWrites = ["copy"]
        case .copyAhead:
            try laptop.write([Self.change("laptop 1")], at: 2)
            copyWrites = ["copy 1", "copy 2"]
        case .restoredBackup:
            try laptop.write([Self.change("laptop 1")], at: 2)
            copyWrites = ["after restore"]
        }
        try await Self.sync(laptop, server)
        // The copy edits the title (the second edit supersedes its first) and another record
        try copy.write(copyWrites.map(Self.change) + [FieldChange(record: other, kind: "cell", field: "title", value: .text("only on the copy"))], at: 3)
        let copyPath = copy.store.path
        await #expect(throws: (any Error).self) { try await Self.sync(copy, server) }
        // rekey refuses while another connection holds the file, and changes nothing
        let before = try copy.store.canonicalDump()
        #expect(throws: StoreError.self) { try Replica.rekey(path: copyPath) }
        #expect(try copy.store.canonicalDump() == before)
        try copy.store.close()

        let report = try Replica.rekey(path: copyPath)
        #expect(report.oldID == laptop.id && report.newID != laptop.id)
        #expect(report.moved == copyWrites.count + 1)
        #expect(report.versions == 1 + copyWrites.count + 1)
        #expect(FileManager.default.fileExists(atPath: report.backupPath))
        let rekeyed = try Replica.open(path: copyPath)
        #expect(rekeyed.id == report.newID)
        #expect(try rekeyed.pending().count == copyWrites.count + 1)
        #expect(try rekeyed.store.record(Self.record)?.value("title") == .text(copyWrites.last!), "the copy's later edit still supersedes its earlier one")

        try await Self.sync(rekeyed, server)
        try await Self.sync(laptop, server)
        // Every write of both histories is on the server and on both files
        let laptopCount = UInt64(fork == .copyBehind ? 3 : 2)
        #expect(try await server.pulledByANewReplica(of: "alice").store.versionVector() == VersionVector([laptop.id: laptopCount, report.newID: UInt64(copyWrites.count + 1)]))
        #expect(try laptop.store.canonicalDump() == rekeyed.store.canonicalDump())
        #expect(try await server.pulledByANewReplica(of: "alice").store.canonicalDump() == laptop.store.canonicalDump())
        #expect(try rekeyed.pending().isEmpty)
        // The two last titles are concurrent: kept as a conflict, neither dropped
        let conflict = try #require(try laptop.store.conflicts().first { $0.record == Self.record })
        let values = Set(conflict.heads.map(\.value))
        let laptopLast = fork == .copyBehind ? "laptop 2" : "laptop 1"
        #expect(values == [.text(laptopLast), .text(copyWrites.last!)])
        #expect(try laptop.store.record(other)?.value("title") == .text("only on the copy"))
        // A second rekey keeps the first backup and adds another
        try rekeyed.store.close()
        let again = try Replica.rekey(path: copyPath)
        #expect(again.backupPath == copyPath + ".before-rekey-2" && again.moved == 0)
        #expect(FileManager.default.fileExists(atPath: report.backupPath))
    }

    @Test func rekeyOfAFileThatIsNotAReplicaChangesNothing() throws {
        let folder = Folder()
        let path = folder.path("notes.txt")
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notAStore(path: path)) { try Replica.rekey(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("not a database".utf8))
        #expect(!FileManager.default.fileExists(atPath: path + ".before-rekey"))
    }
}
