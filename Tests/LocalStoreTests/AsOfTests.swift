@testable import LocalStore
import SyncModel
import Testing
import TestSupport

/// Records as they stood at a moment, read through the index (a seek per replica and field),
/// equal what merging every version written by then gives.
@Suite struct AsOfTests {
    /// The reference: every version written by `time`, merged field by field.
    static func reference(_ versions: [Version], kind: String, at time: Int64) -> [RecordID: (deleted: Bool, fields: [String: FieldValue])] {
        var result: [RecordID: (deleted: Bool, fields: [String: FieldValue])] = [:]
        let held = versions.filter { $0.kind == kind && $0.time <= time }
        for (record, recordVersions) in Dictionary(grouping: held, by: \.record) {
            var fields: [String: FieldAsOf] = [:]
            for (name, fieldVersions) in Dictionary(grouping: recordVersions, by: \.field) {
                fields[name] = FieldAsOf.of(fieldVersions, record: record, field: RecordSchema.cell.field(name) ?? RecordSchema.signal.field(name)!)
            }
            let deleted = fields[RecordSchema.deletedFieldName].map { $0.value == .bool(true) && $0.conflict == nil } ?? false
            fields[RecordSchema.deletedFieldName] = nil
            result[record] = (deleted, fields.mapValues(\.value))
        }
        return result
    }

    static func check(_ replica: Replica, _ versions: [Version], seed: UInt64) throws {
        let times = versions.map(\.time).sorted()
        for time in [times[0] - 1, times[times.count / 4], times[times.count / 2], times[3 * times.count / 4], times.last!] {
            let expected = Self.reference(versions, kind: "cell", at: time)
            let got = try replica.store.records(kind: "cell", asOf: time, includeDeleted: true)
            #expect(Set(got.map(\.id)) == Set(expected.keys), "seed \(seed) at \(time)")
            for record in got {
                #expect(record.deleted == expected[record.id]?.deleted, "seed \(seed) at \(time)")
                #expect(record.fields.mapValues(\.value) == expected[record.id]?.fields, "seed \(seed) at \(time): \(record.id)")
            }
        }
    }

    @Test("records as of a moment equal the versions written by then, merged", arguments: testSeeds(count: 12, base: 55_000))
    func asOfMatchesTheVersionsWrittenByThen(seed: UInt64) throws {
        var generator = HistoryGenerator(seed: seed, replicaCount: 3, recordCount: 6)
        generator.run(steps: 120)
        let versions = generator.allVersions
        let replica = try makeEmptyTestReplica()
        try replica.store.apply(versions)
        try Self.check(replica, versions, seed: seed)
    }

    @Test func aWriteBasedOnAnOlderStateLeavesTheReplicasEarlierWriteAHead() throws {
        let replica = try makeEmptyTestReplica()
        try replica.write([change("number", .int(20)), change("title", .text("First"))], at: 1_000)
        try replica.write([change("title", .text("Second"))], at: 2_000)
        // An edit of the state before either title, as an import of an old export makes
        try replica.write([change("title", .text("From a file"))], basedOn: [VersionVector()], at: 3_000)
        let versions = try replica.store.history(record: cellID)
        try Self.check(replica, versions, seed: 0)
        let now = try #require(try replica.store.record(cellID, asOf: 3_000))
        #expect(now.fields["title"]?.conflict != nil, "the file's title is concurrent with the replica's own")
    }
}
