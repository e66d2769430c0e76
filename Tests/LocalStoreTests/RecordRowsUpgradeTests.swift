import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import LocalStore
import Testing

/// Files written before versions and field states named their record by row id upgrade with
/// everything in them, or are refused untouched.
@Suite struct RecordRowsUpgradeTests {
    static let signal = RecordID("5a5a5a5a-0000-4000-8000-000000000001")!
    static let gone = RecordID("dededede-0000-4000-8000-000000000001")!

    /// Versions of two replicas that exercise every table: two kinds, a clean prose merge, a
    /// register conflict, a deleted record and a delete-against-edit conflict.
    static func history() throws -> [Version] {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        var all = try alice.write([
            change("number", .int(20)), change("title", .text("Pax Silica")), change("assessment", .text("One.\n\nTwo.\n\nThree.")),
            change("number", .int(21), record: gone), change("title", .text("Ceasefire talks"), record: signal, kind: "signal"),
        ], at: 1)
        try bob.store.apply(all)
        let fromAlice = try alice.write([change("title", .text("Alice's title")), change("assessment", .text("One, alice.\n\nTwo.\n\nThree.")),
                                         change("_deleted", .bool(true), record: gone)], at: 2)
        let fromBob = try bob.write([change("title", .text("Bob's title")), change("assessment", .text("One.\n\nTwo.\n\nThree, bob.")),
                                     change("title", .text("Edited while deleted"), record: gone),
                                     change("_deleted", .bool(true), record: signal, kind: "signal")], at: 3)
        all += fromAlice + fromBob
        return all
    }

    /// The last step before record row ids, for each role.
    static func lastOldStep(_ role: FileRole) -> String {
        role == .server ? "v3-server-feed" : "v2-cell-numbers"
    }

    /// A file at `old` in the schema before record row ids, holding what the replica file at
    /// `current` holds (copied table by table, records named by uuid again, clocks as text).
    static func writeOldFile(at old: String, from current: String, role: FileRole) throws {
        try writeOldFile(at: old, upTo: lastOldStep(role), from: current, role: role, copy: """
            INSERT INTO record (id, kind, deleted) SELECT uuid, kind, deleted FROM new.record;
            INSERT INTO version SELECT v.replica, v.counter, r.uuid, v.kind, v.field, v.context, v.value, v.author, v.time
                FROM new.version v JOIN new.record r ON r.id = v.record;
            INSERT INTO field SELECT r.uuid, f.name, f.joined, f.heads, f.value, f.conflict
                FROM new.field f JOIN new.record r ON r.id = f.record;
            """)
    }

    /// A file of `role` at `old` migrated up to step `last`, holding what the replica file at
    /// `current` holds: its `meta` (with the role's name) and `replica` copied as they are, the
    /// replicated tables by `copy` (SQL reading the current file as `new`), a server's feed
    /// made of its versions (as servers of that time kept it), and every clock rewritten as the
    /// `uuid:counter` text files held before clocks were blobs. Server files of that time kept
    /// field states as replicas do.
    static func writeOldFile(at old: String, upTo last: String, from current: String, role: FileRole, copy: String) throws {
        let queue = try DatabaseQueue(path: old)
        defer { try? queue.close() }
        try role.migrator.migrate(queue, upTo: last)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS new", arguments: [current])
            try db.inTransaction {
                try db.execute(sql: """
                    DELETE FROM meta;
                    INSERT INTO meta SELECT * FROM new.meta;
                    UPDATE meta SET value = ? WHERE key = 'role';
                    INSERT INTO replica SELECT * FROM new.replica;
                    """, arguments: [role.name])
                try db.execute(sql: copy)
                if role == .server { try ServerSchema.feedStoredVersions(db) }
                try textClocks(db)
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE new")
        }
    }

    /// Rewrites every stored clock as `uuid:counter` text (the inverse of the v5 upgrade).
    static func textClocks(_ db: Database) throws {
        let uuids = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, uuid FROM replica").map { ($0[0] as Int64, ReplicaID($0[1] as String)!) })
        let text = DatabaseFunction("test_clock_text", argumentCount: 1, pure: true) { values in
            var dots: [Dot] = []
            try Data.fromDatabaseValue(values[0]).withUnsafeOptionalBytes { bytes in
                try ClockBlob.forEachPair(in: bytes) { row, counter in dots.append(Dot(replica: uuids[row]!, counter: counter)) }
            }
            return StoreCoding.encode(dots)
        }
        db.add(function: text)
        defer { db.remove(function: text) }
        try db.execute(sql: """
            UPDATE version SET context = test_clock_text(context);
            UPDATE field SET joined = test_clock_text(joined), heads = test_clock_text(heads);
            """)
    }

    /// Opens the file at `path` as `role`'s store (upgrading it), closing it again.
    static func openAndClose(_ path: String, role: FileRole) throws {
        switch role {
        case .replica: try Replica.open(path: path).store.close()
        case .server: try SQLiteServerStore.open(path: path, create: false).close()
        }
    }

    /// A current replica store at `path` holding `versions`, and its canonical dump: what an
    /// upgraded old replica file must hold exactly (and an old server file, its versions).
    static func filled(_ path: String, with versions: [Version]) throws -> (store: Store, dump: String) {
        let store = try Replica.create(path: path, settings: ReplicaSettings(server: "http://x", token: "a.b", analyst: "carol")).store
        try store.apply(versions)
        return (store, try store.canonicalDump())
    }

    @Test func anOldReplicaFileUpgradesToRecordRowIDsHoldingExactlyWhatItHeld() throws {
        let folder = TemporaryFolder()
        let versions = try Self.history()
        let (current, expected) = try Self.filled(folder.path("current.sqlite"), with: versions)
        #expect(try current.conflicts().count == 2, "the title, and the deleted cell bob edited")
        let conflicts = try current.conflicts().map(\.id)
        try current.close()
        try Self.writeOldFile(at: folder.path("old.sqlite"), from: folder.path("current.sqlite"), role: .replica)

        let upgraded = try Replica.open(path: folder.path("old.sqlite")).store
        #expect(try upgraded.canonicalDump() == expected)
        try upgraded.read { db in
            #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try db.columns(in: "version").first { $0.name == "record" }?.type == "INTEGER")
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            #expect(indexes == ["field_by_conflict", "field_cell_number", "record_by_kind", "version_by_field"])
        }
        #expect(try upgraded.cellIDs(number: 20) == [cellID])
        #expect(try upgraded.conflicts().map(\.id) == conflicts)
        // It keeps working: a resolution of an old conflict and a new record.
        let erin = try makeEmptyTestReplica("erin")
        try erin.store.apply(versions)
        let fresh = RecordID.random()
        try upgraded.apply(try erin.write([change("title", .text("Agreed")), change("number", .int(4), record: fresh)], at: 9))
        #expect(try upgraded.record(cellID)?.value("title") == .text("Agreed"))
        #expect(try upgraded.record(fresh)?.value("number") == .int(4))
        #expect(try upgraded.conflicts().count == 1)
    }

    @Test func anOldServerFileUpgradesToRecordRowIDsAndDropsItsFieldStates() async throws {
        let folder = TemporaryFolder()
        let versions = try Self.history()
        let (current, _) = try Self.filled(folder.path("current.sqlite"), with: versions)
        try current.close()
        try Self.writeOldFile(at: folder.path("old.sqlite"), from: folder.path("current.sqlite"), role: .server)
        try Self.expectServerUpgraded(folder.path("old.sqlite"), holding: folder.path("current.sqlite"), versions: versions)
    }

    /// The server file at `path`, upgraded, holds the versions and records of the replica file
    /// at `current` (which holds `versions`), feeds them all, keeps no field state, and takes
    /// new pushes.
    static func expectServerUpgraded(_ path: String, holding current: String, versions: [Version]) throws {
        let reference = try DatabaseQueue(path: current)
        let expected = try reference.read { db in try VersionTable.canonicalLines(db) }
        try reference.close()
        let upgraded = try SQLiteServerStore.open(path: path, create: false)
        try upgraded.read { db in
            #expect(try VersionTable.canonicalLines(db) == expected)
            #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try db.columns(in: "version").first { $0.name == "record" }?.type == "INTEGER")
            #expect(try !db.tableExists("field"), "a server keeps no field states")
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            #expect(indexes.isEmpty, "\(indexes)")
        }
        let fed = try upgraded.feedPage(after: .start, limit: 1_000)
        #expect(Set(fed.versions.map(\.dot)) == Set(versions.map(\.dot)) && fed.versions.count == versions.count && !fed.more)
        // It keeps working: a new version is stored and fed.
        let erin = try makeEmptyTestReplica("erin")
        try erin.store.apply(versions)
        let edit = try erin.write([change("title", .text("Agreed"))], at: 9)
        // Pushes come from analysts, each cleared for the default compartment when added.
        try upgraded.addAnalyst(name: "erin", tokenHash: "hash-erin", at: 9)
        try upgraded.write { db in
            var access = try ServerAccess(db, time: 9)
            let report = try ServerPush.store(try upgraded.check(edit), db, access: &access)
            #expect(report.new == 1)
        }
        #expect(try upgraded.feedPage(after: fed.cursor!, limit: 10).versions == edit)
    }

    @Test("an old file whose versions name a record it does not list is refused and left as it was", arguments: FileRole.allCases)
    func anInconsistentOldFileIsRefusedUntouched(role: FileRole) throws {
        let folder = TemporaryFolder()
        let path = try Self.damagedOldFile(in: folder, role: role, history: Self.history(), writeOld: Self.writeOldFile,
                                           damage: "DELETE FROM record WHERE id = ?", arguments: [Self.gone.rawValue])
        try Self.expectRefused(path, role: role, saying: "records it does not list", migration: "v4-record-rows", contents: Self.contents)
    }

    /// An old file in `folder`: `history` stored by this build, written back by `writeOld` (at,
    /// from, role) as an older build kept it, then damaged by the SQL `damage`.
    static func damagedOldFile(
        in folder: TemporaryFolder, role: FileRole, history: [Version],
        writeOld: (String, String, FileRole) throws -> Void, damage: String, arguments: StatementArguments = []
    ) throws -> String {
        let current = try Self.filled(folder.path("current.sqlite"), with: history).store
        try current.close()
        let path = folder.path("old.sqlite")
        try writeOld(path, folder.path("current.sqlite"), role)
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write { db in try db.execute(sql: damage, arguments: arguments) }
        return path
    }

    /// Opening the old file at `path` fails with a reason saying `what`, and leaves every row of
    /// `contents` as it was, with `migration` not applied.
    static func expectRefused(
        _ path: String, role: FileRole, saying what: String, migration: String, contents: (Database) throws -> [String]
    ) throws {
        let snapshot = try DatabaseQueue(path: path)
        let before = try snapshot.read(contents)
        try snapshot.close()
        let error = #expect(throws: StoreError.self) { try Self.openAndClose(path, role: role) }
        guard case .cannotOpen(let failed, let reason)? = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(failed == path)
        #expect(reason.contains(what) && reason.contains("left as it was"), "\(reason)")
        let after = try DatabaseQueue(path: path)
        defer { try? after.close() }
        #expect(try after.read(contents) == before)
        #expect(try after.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }.contains(migration) == false)
    }

    /// Every row of the replicated tables, as text.
    static func contents(_ db: Database) throws -> [String] {
        try ["record", "version", "field"].flatMap { table in
            try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2").map { "\(table) \($0)" }
        }
    }
}

/// Which side's file an upgrade test writes.
enum FileRole: CaseIterable, Sendable {
    case replica, server

    /// The side's files, as the stores open them.
    var kind: DatabaseFile.Kind { self == .server ? ServerSchema.kind : StoreSchema.kind }

    /// The role as the file's `meta` table names it.
    var name: String { kind.role }

    /// The role's migrations, to write a file as an older build left it.
    var migrator: DatabaseMigrator { kind.migrator() }
}
