import Foundation
import LocalStore
import SyncModel
@testable import SyncProtocol
import Testing
import TestSupport

@Suite struct BinaryWireTests {
    static func history(seed: UInt64) -> [Version] {
        var generator = HistoryGenerator(seed: seed, replicaCount: 4, recordCount: 12)
        generator.run(steps: 150)
        return generator.allVersions
    }

    @Test("requests and responses of random histories decode to what was encoded", arguments: testSeeds(count: 20, base: 0xB1_0000))
    func roundTrip(seed: UInt64) throws {
        let versions = Self.history(seed: seed)
        var vector = VersionVector()
        for version in versions { vector[version.dot.replica] = max(vector[version.dot.replica], version.dot.counter) }
        let cursor = seed % 3 == 0 ? nil : FeedCursor(seq: seed % 1000, chain: seed &* 0x9E37_79B9_7F4A_7C15)
        let request = SyncRequest(replica: versions[0].dot.replica, vector: vector, cursor: cursor, versions: versions, pageLimit: Int(seed % 5000))
        #expect(try BinaryWire.decodeRequest(BinaryWire.encode(request)) == request, "seed \(seed)")
        let response = SyncResponse(vector: vector, versions: versions.reversed(), more: seed % 2 == 0, cursor: cursor)
        #expect(try BinaryWire.decodeResponse(BinaryWire.encode(response)) == response, "seed \(seed)")
    }

    @Test func aRequestsKeyAndSignaturesSurviveAndBadSectionsAreRefused() throws {
        let versions = Self.history(seed: 5)
        let key = SigningKey(rawRepresentation: Data(repeating: 3, count: 32))!
        let run = versions.filter { $0.dot.replica == versions[0].dot.replica }
        let request = SyncRequest(replica: versions[0].dot.replica, vector: VersionVector(), versions: versions,
                                  publicKey: key.publicKey, signatures: key.signRanges(run))
        let bytes = BinaryWire.encode(request)
        #expect(try BinaryWire.decodeRequest(bytes) == request)
        let plain = BinaryWire.encode(SyncRequest(replica: request.replica, vector: VersionVector(), versions: versions))
        #expect(bytes.starts(with: plain), "the optional sections follow a request that has none, unchanged")
        for tail in [[UInt8(9)], [1, 0], [2, 0, 1, 0]] {
            #expect(throws: BinaryWireError.self) { try BinaryWire.decodeRequest(plain + Data(tail) + (tail == [1, 0] ? Data([1, 0]) : Data())) }
        }
    }

    @Test func aRequestsConflictReportSurvivesAfterItsOtherSectionsAndSpellsEachIdInEightBytes() throws {
        let versions = Self.history(seed: 6)
        let key = SigningKey(rawRepresentation: Data(repeating: 3, count: 32))!
        let report = ConflictReport(opened: [ConflictID("0123456789abcdef")!, ConflictID("0000000000000001")!],
                                    resolved: [ConflictID("ffffffffffffffff")!])
        let plain = SyncRequest(replica: versions[0].dot.replica, vector: VersionVector(), versions: versions, publicKey: key.publicKey)
        var reporting = plain
        reporting.conflicts = report
        let bytes = BinaryWire.encode(reporting)
        let decoded = try BinaryWire.decodeRequest(bytes)
        #expect(decoded == reporting && decoded.conflicts == report)
        let before = BinaryWire.encode(plain)
        #expect(bytes.starts(with: before), "the report follows a request without one, unchanged")
        #expect(Array(bytes.dropFirst(before.count)) == [3, 2] + [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef] + [0, 0, 0, 0, 0, 0, 0, 1]
            + [1] + [UInt8](repeating: 0xff, count: 8))
        var resolvedOnly = plain
        resolvedOnly.conflicts = ConflictReport(resolved: [ConflictID("00000000000000ff")!])
        #expect(try BinaryWire.decodeRequest(BinaryWire.encode(resolvedOnly)).conflicts == resolvedOnly.conflicts)
        // A report section before the key's, twice, cut short, or claiming more ids than it holds.
        for tail in [[UInt8]([3, 0, 0, 1, 0]), [3, 0, 0, 3, 0, 0], [3, 1, 0, 0], [3, 9, 1, 2, 3, 4, 5, 6, 7, 8, 0]] {
            #expect(throws: BinaryWireError.self) { try BinaryWire.decodeRequest(BinaryWire.encode(SyncRequest(replica: plain.replica, vector: VersionVector(), versions: [])) + Data(tail)) }
        }
    }

    @Test func extremeNumbersAndEmptyMessagesSurvive() throws {
        let replica = ReplicaID("ffffffff-ffff-4fff-8fff-ffffffffffff")!, other = ReplicaID("00000000-0000-4000-8000-000000000000")!
        let record = RecordID("12345678-9abc-4def-8123-456789abcdef")!
        let versions = [
            Version(dot: Dot(replica: replica, counter: UInt64(Int64.max)), context: VersionVector([other: UInt64.max - 1, replica: 1]),
                    record: record, kind: "cell", field: "number", value: .int(Int64.min), author: "a", time: Int64.max),
            Version(dot: Dot(replica: other, counter: 1), context: VersionVector(), record: record, kind: "cell", field: "title",
                    value: .text("é — 漢字 🎉\n"), author: "b", time: Int64.min),
            Version(dot: Dot(replica: other, counter: 2), context: VersionVector(), record: record, kind: "cell", field: "commitments",
                    value: .list(["", "x"]), author: "b", time: 0),
            Version(dot: Dot(replica: other, counter: 3), context: VersionVector(), record: record, kind: "cell", field: "_deleted",
                    value: .bool(true), author: "b", time: -1),
            Version(dot: Dot(replica: other, counter: 4), context: VersionVector(), record: record, kind: "cell", field: "tier",
                    value: .null, author: "b", time: 1),
        ]
        let response = SyncResponse(vector: VersionVector([replica: UInt64.max]), versions: versions, more: true)
        #expect(try BinaryWire.decodeResponse(BinaryWire.encode(response)) == response)
        let empty = SyncRequest(replica: replica, vector: VersionVector(), versions: [])
        #expect(try BinaryWire.decodeRequest(BinaryWire.encode(empty)) == empty)
        #expect(BinaryWire.encode(empty).count < 40, "a request with nothing to say is a few bytes")
    }

    @Test func aSmallRequestEncodesToTheGoldenBytes() {
        let replica = ReplicaID("0a0a0a0a-0000-4000-8000-000000000001")!
        let record = RecordID("0b0b0b0b-0000-4000-8000-000000000002")!
        let version = Version(dot: Dot(replica: replica, counter: 2), context: VersionVector([replica: 1]), record: record,
                              kind: "cell", field: "title", value: .text("T"), author: "alice", time: 1_000)
        let cursor = FeedCursor(seq: 7, chain: 0x1F2E_3D4C_5B6A_7988)
        let bytes = BinaryWire.encode(SyncRequest(replica: replica, vector: VersionVector([replica: 2]), cursor: cursor, versions: [version], pageLimit: 100))
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        #expect(hex == "46534202" + "01"                          // "FSB", protocol 2, a request
            + "01" + "0a0a0a0a000040008000000000000001"           // one replica id
            + "03" + "0463656c6c" + "057469746c65" + "05616c696365" // strings: cell, title, alice
            + "01" + "0b0b0b0b000040008000000000000002"           // one record id
            + "00" + "01" + "0002"                                // requester, vector {r0: 2}
            + "01" + "07" + "88796a5b4c3d2e1f"                    // cursor: seq 7, chain (little-endian)
            + "64"                                                // page limit 100
            + "01" + "00" + "04"                                  // one version: r0, counter +2 (zigzag)
            + "01" + "0002"                                       // context {r0: 2 - 1}
            + "00" + "00" + "01" + "040154" + "02" + "d00f")      // record, kind, field, text "T", author, time +1000
    }

    @Test func smallRegisterEditsTakeAtMost32BytesEach() throws {
        // A batch of 1,000 small edits, ten fields of each record, as an analyst's day produces
        let replica = ReplicaID("0a0a0a0a-0000-4000-8000-000000000001")!
        var random = SplitMix64(seed: 32)
        let records = (0..<100).map { _ in RecordID(HistoryGenerator.uuid(&random))! }
        let fields = ["title", "tier", "trend", "trajectory"]
        var versions: [Version] = []
        for index in 0..<1000 {
            let counter = UInt64(index + 1)
            versions.append(Version(
                dot: Dot(replica: replica, counter: counter), context: index < 400 ? VersionVector() : VersionVector([replica: counter - 400]),
                record: records[index % 100], kind: "cell", field: fields[index / 100 % 4],
                value: .text(fields[index / 100 % 4] == "trajectory" ? "Advancing" : "Tier \(index % 5) edit \(index)"),
                author: "alice", time: 1_780_000_000_000 + Int64(index) * 1_500
            ))
        }
        let bytes = BinaryWire.encode(SyncResponse(vector: VersionVector([replica: 1000]), versions: versions, more: false))
        let perVersion = Double(bytes.count) / 1000
        print("binary wire: \(perVersion) bytes per small register edit; JSON: \(Double(WireProtocol.encode(SyncResponse(vector: VersionVector([replica: 1000]), versions: versions, more: false)).count) / 1000)")
        #expect(perVersion <= 32)
    }

    @Test("truncated or corrupted bodies fail with an error, never a crash", arguments: testSeeds(count: 5, base: 0xB1_1000))
    func hostileBodies(seed: UInt64) {
        let versions = Self.history(seed: seed)
        let request = SyncRequest(replica: versions[0].dot.replica, vector: VersionVector(), versions: Array(versions.prefix(20)))
        let bytes = [UInt8](BinaryWire.encode(request))
        for length in 0..<bytes.count {
            #expect(throws: BinaryWireError.self) { try BinaryWire.decodeRequest(Data(bytes[..<length])) }
        }
        #expect(throws: BinaryWireError.self) { try BinaryWire.decodeRequest(Data(bytes + [0])) }
        #expect(throws: BinaryWireError.self) { try BinaryWire.decodeResponse(Data(bytes)) }
        var random = SplitMix64(seed: seed)
        for _ in 0..<2000 {
            var corrupted = bytes
            for _ in 0..<Int(1 + random.next() % 4) {
                corrupted[Int(random.next() % UInt64(corrupted.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            // Either an error or a message; the server then validates every version
            _ = try? BinaryWire.decodeRequest(Data(corrupted))
        }
        // Counts that claim more items than the body could hold are refused before allocating
        let huge: [UInt8] = [70, 83, 66, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(throws: BinaryWireError.self) { try BinaryWire.decodeRequest(Data(huge)) }
    }
}
