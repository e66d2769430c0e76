import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import Testing

/// A replica hands on versions it carries for a colleague under the colleague's signatures:
/// the stored signed ranges it chooses may overlap, and a bundle carries their shared versions
/// once, under both.
@Suite struct RelayedBundleTests {
    static func write(_ replica: Replica, _ count: Int, from first: Int) throws {
        for number in first..<(first + count) {
            try replica.write([FieldChange(record: RecordID(String(format: "c0c0c0c0-0000-4000-8000-%012d", number))!, kind: "cell", field: "title", value: .text("cell \(number)"))], at: 1)
        }
    }

    @Test func overlappingSignedRangesAreHandedOnOnceEach() throws {
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        let carol = try Replica.inMemory(analyst: "carol")
        try Self.write(alice, 10, from: 1)
        _ = try bob.apply(VersionBundle.read(alice.makeBundle(beyond: nil, at: 1).data))
        // Alice's next bundle, for someone she knows holds her first four: signed as 5-20.
        try Self.write(alice, 10, from: 11)
        _ = try bob.apply(VersionBundle.read(alice.makeBundle(beyond: VersionVector([alice.id: 4]), at: 2).data))
        let ranges = try bob.store.read { db in try Int.fetchAll(db, sql: "SELECT first FROM signed_range WHERE replica = ? ORDER BY first", arguments: [alice.id.rawValue]) }
        #expect(ranges == [1, 5], "bob carries alice's 1-10 and 5-20")

        for filter in [nil, BundleFilter(receiver: "carol", reads: [Compartment.defaultName], restricted: [:])] {
            let made = try bob.makeBundle(beyond: VersionVector(), filter: filter, at: 3)
            let read = try VersionBundle.read(made.data)
            let carried = read.versions.filter { $0.dot.replica == alice.id }.map(\.dot.counter)
            #expect(carried == Array(1...20), "each of alice's versions once, filtered: \(filter != nil)")
            #expect(read.header.signatures.filter { $0.replica == alice.id }.map(\.first) == [1, 5], "under both signatures")
        }
        // What a receiver is said to hold may name any counter (a bundle's header once could).
        let none = try bob.makeBundle(beyond: VersionVector([alice.id: .max, bob.id: .max]), at: 4)
        #expect(none.bundle.header.count == 0)
        let applied = try carol.apply(VersionBundle.read(bob.makeBundle(beyond: VersionVector(), at: 4).data))
        let held = try carol.store.versionVector()
        #expect(applied.report.new == 20 && held[alice.id] == 20)
    }
}
