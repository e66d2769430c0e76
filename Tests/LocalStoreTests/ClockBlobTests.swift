import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import Testing

/// Clocks stored as replica row ids and counters: read back exactly, malformed ones refused,
/// and files holding text clocks upgraded with everything in them.
@Suite struct ClockBlobTests {
    @Test func pairsRoundTripThroughTheirBlob() throws {
        let pairs: [(row: Int64, counter: UInt64)] = [(1, 0), (127, 128), (128, 16_383), (16_384, .max), (.max, 1)]
        let blob = ClockBlob.encode(pairs)
        #expect(blob.first == ClockBlob.tag)
        var read: [(Int64, UInt64)] = []
        try Data(blob).withUnsafeBytes { bytes in try ClockBlob.forEachPair(in: bytes) { read.append(($0, $1)) } }
        #expect(read.map(\.0) == pairs.map(\.row) && read.map(\.1) == pairs.map(\.counter))
        #expect(try ClockBlob.count(Data(blob)) == 5)
        #expect(ClockBlob.encode([]) == [ClockBlob.tag])
        #expect(try ClockBlob.count(Data([ClockBlob.tag])) == 0)
        // One replica's clock takes a few bytes where its text took about 40.
        #expect(ClockBlob.encode([(3, 1_000)]).count == 4)
    }

    @Test("a malformed clock is refused, never misread", arguments: [
        [], Array("a1a1a1a1-0000-4000-8000-000000000001:1".utf8),  // no tag: text from before the upgrade
        [ClockBlob.tag, 1],  // a row without its counter
        [ClockBlob.tag, 1, 0x80],  // a counter cut short
        [ClockBlob.tag, 0, 1],  // row 0 is no row
        [ClockBlob.tag, 1] + Array(repeating: 0xFF, count: 9) + [0x02],  // a counter over 64 bits
        [ClockBlob.tag] + Array(repeating: 0xFF, count: 9) + [0x01, 1],  // a row over Int64.max
    ] as [[UInt8]])
    func malformed(bytes: [UInt8]) {
        #expect(throws: StoreError.self) { try ClockBlob.count(Data(bytes)) }
        #expect(throws: StoreError.self) { try ClockBlob.count(nil) }
    }

    /// Read in place from SQLite's row buffer, a clock reads exactly as through GRDB's `Data`;
    /// NULL, an empty blob and a malformed one are refused the same way.
    @Test func aClockReadInPlaceReadsAsThroughData() throws {
        let queue = try DatabaseQueue()
        let good = ClockBlob.encode([(row: 1, counter: 7), (row: 300, counter: 1 << 40)] as [(row: Int64, counter: UInt64)])
        let bad: [UInt8] = [ClockBlob.tag, 1]
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER, clock BLOB)")
            try db.execute(sql: "INSERT INTO t VALUES (1, ?), (2, NULL), (3, x''), (4, ?)", arguments: [Data(good), Data(bad)])
        }
        try queue.read { db in
            let statement = try db.makeStatement(sql: "SELECT n, clock FROM t ORDER BY n")
            let rows = try Row.fetchCursor(statement)
            var outcomes: [String] = []
            while let row = try rows.next() {
                func pairs(_ bytes: UnsafeRawBufferPointer?) -> String {
                    var read: [String] = []
                    do {
                        try ClockBlob.forEachPair(in: bytes) { read.append("\($0):\($1)") }
                        return read.joined(separator: ",")
                    } catch { return "refused" }
                }
                let inPlace = ClockBlob.withColumn(statement.sqliteStatement, 1, pairs)
                let throughData = try row.withUnsafeData(atIndex: 1) { $0.withUnsafeOptionalBytes(pairs) }
                #expect(inPlace == throughData, "row \(row[0] as Int)")
                outcomes.append(inPlace)
            }
            #expect(outcomes == ["1:7,300:\(1 << 40)", "refused", "refused", "refused"])
        }
    }

    /// The history of ``RecordRowsUpgradeTests``, plus a write whose context names a replica
    /// (carol) none of whose versions the store holds: the upgrade must give carol a row.
    static func history() throws -> [Version] {
        let carol = try makeEmptyTestReplica("carol"), dave = try makeEmptyTestReplica("dave")
        try dave.store.apply(try carol.write([change("crosswinds", .text("From carol"))], at: 1))
        return try RecordRowsUpgradeTests.history() + dave.write([change("crosswinds", .text("Dave's, after carol's"))], at: 4)
    }

    /// A file of `role` with text clocks at `path`, written from a current replica file in
    /// `folder` holding `versions`: what that file held, as the build before clock blobs kept it.
    static func textClockFile(_ path: String, in folder: TemporaryFolder, role: FileRole) throws {
        try Self.writeTextClockFile(at: path, from: folder.path("current.sqlite"), role: role)
        try DatabaseQueue(path: path).write { db in
            // What files before the upgrade held: no row for a replica only a context names.
            try db.execute(sql: "DELETE FROM replica WHERE counter = 0")
            #expect(try String.fetchOne(db, sql: "SELECT typeof(context) FROM version LIMIT 1") == "text")
        }
    }

    @Test func aReplicaFileWithTextClocksUpgradesHoldingExactlyWhatItHeld() throws {
        let folder = TemporaryFolder()
        let versions = try Self.history()
        let (current, expected) = try RecordRowsUpgradeTests.filled(folder.path("current.sqlite"), with: versions)
        let conflicts = try current.conflicts()
        let vector = try current.versionVector()
        try current.close()
        let path = folder.path("old.sqlite")
        try Self.textClockFile(path, in: folder, role: .replica)
        let textBytes = try Self.clockBytes(path)

        let upgraded = try Replica.open(path: path).store
        #expect(try upgraded.canonicalDump() == expected)
        #expect(try upgraded.conflicts() == conflicts)
        #expect(try upgraded.versionVector() == vector, "carol, named only in a context, holds no versions")
        let (check, replicas, types) = try upgraded.read { db in
            (try String.fetchAll(db, sql: "PRAGMA integrity_check"), try Int.fetchOne(db, sql: "SELECT count(*) FROM replica"),
             try String.fetchAll(db, sql: """
                SELECT DISTINCT typeof(context) FROM version UNION SELECT typeof(joined) FROM field UNION SELECT typeof(heads) FROM field
                """))
        }
        #expect(check == ["ok"])
        #expect(replicas == 4, "alice, bob, dave and carol")
        #expect(types == ["blob"])
        let blobBytes = try Self.clockBytes(path)
        #expect(blobBytes * 5 < textBytes, "clocks take \(blobBytes) bytes, \(textBytes) as text")
        // It keeps working: erin resolves the title conflict and edits what carol wrote.
        let erin = try makeEmptyTestReplica("erin")
        try erin.store.apply(versions)
        try upgraded.apply(try erin.write([change("title", .text("Agreed")), change("crosswinds", .text("Erin's"))], at: 9))
        #expect(try upgraded.record(cellID)?.value("title") == .text("Agreed"))
        #expect(try upgraded.record(cellID)?.value("crosswinds") == .text("Erin's"))
        #expect(try upgraded.conflicts().count == conflicts.count - 1)
    }

    @Test func aServerFileWithTextClocksUpgradesHoldingItsVersions() async throws {
        let folder = TemporaryFolder()
        let versions = try Self.history()
        try RecordRowsUpgradeTests.filled(folder.path("current.sqlite"), with: versions).store.close()
        let path = folder.path("old.sqlite")
        try Self.textClockFile(path, in: folder, role: .server)
        try RecordRowsUpgradeTests.expectServerUpgraded(path, holding: folder.path("current.sqlite"), versions: versions)
    }

    @Test("a file with a malformed text clock is refused and left as it was", arguments: FileRole.allCases)
    func aMalformedTextClockIsRefusedUntouched(role: FileRole) throws {
        let folder = TemporaryFolder()
        let path = try RecordRowsUpgradeTests.damagedOldFile(in: folder, role: role, history: Self.history(), writeOld: Self.writeTextClockFile,
                                                             damage: "UPDATE field SET joined = 'not-a-clock:1' WHERE name = 'crosswinds'")
        try RecordRowsUpgradeTests.expectRefused(path, role: role, saying: "malformed clock 'not-a-clock:1'", migration: "v5-clock-blobs") { db in
            try RecordRowsUpgradeTests.contents(db) + Row.fetchAll(db, sql: "SELECT * FROM replica").map(\.description)
        }
    }

    /// A file at the last step before clock blobs, holding what the file at `current` holds.
    static func writeTextClockFile(at old: String, from current: String, role: FileRole) throws {
        try RecordRowsUpgradeTests.writeOldFile(at: old, upTo: "v4-record-rows", from: current, role: role, copy: """
            INSERT INTO record SELECT id, uuid, kind, deleted FROM new.record;
            INSERT INTO version SELECT * FROM new.version;
            INSERT INTO field SELECT * FROM new.field;
            """)
    }

    /// The bytes every stored clock of the file takes.
    static func clockBytes(_ path: String) throws -> Int {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Int.fetchOne(db, sql: """
                SELECT (SELECT sum(length(CAST(context AS BLOB))) FROM version)
                     + (SELECT sum(length(CAST(joined AS BLOB)) + length(CAST(heads AS BLOB))) FROM field)
                """) ?? 0
        }
    }
}
