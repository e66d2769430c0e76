@testable import LocalStore
import SyncModel
import Testing

/// Live cells sharing a number are a conflict every replica names alike, settled by renumbering
/// or deleting one.
@Suite struct NumberConflictTests {
    static let first = RecordID("11111111-0000-4000-8000-000000000001")!
    static let second = RecordID("22222222-0000-4000-8000-000000000002")!

    static func pair() throws -> (alice: Replica, bob: Replica) {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        try alice.write([change("number", .int(22), record: first), change("title", .text("A"), record: first)], at: 1)
        try bob.write([change("number", .int(22), record: second), change("title", .text("B"), record: second)], at: 2)
        try alice.store.apply(try bob.pending())
        try bob.store.apply(try alice.pending())
        return (alice, bob)
    }

    @Test func bothReplicasListOneConflictWithTheSameID() throws {
        let (alice, bob) = try Self.pair()
        let conflicts = try alice.store.conflicts()
        #expect(conflicts.count == 1 && conflicts[0].isSharedNumber)
        #expect(conflicts[0].records == [Self.first, Self.second])
        #expect(conflicts[0].provisional == .int(22))
        #expect(try bob.store.conflicts() == conflicts)
        #expect(try alice.store.numberConflicts() == conflicts)
    }

    @Test func renumberingOrDeletingOneSettlesIt() throws {
        let (alice, bob) = try Self.pair()
        try alice.write([change("number", .int(23), record: Self.first)], at: 3)
        #expect(try alice.store.conflicts().isEmpty)
        try bob.write([change(RecordSchema.deletedFieldName, .bool(true), record: Self.second)], at: 3)
        #expect(try bob.store.conflicts().isEmpty)
    }

    @Test func cellsWithoutANumberShareNothing() throws {
        let replica = try makeEmptyTestReplica()
        try replica.write([change("title", .text("A"), record: Self.first), change("title", .text("B"), record: Self.second)], at: 1)
        #expect(try replica.store.conflicts().isEmpty)
    }
}
