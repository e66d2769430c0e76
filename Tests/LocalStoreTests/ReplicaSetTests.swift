@testable import LocalStore
import SyncModel
import Testing

/// `set` makes versions only for real changes, and a write onto a field in conflict closes it.
@Suite struct ReplicaSetTests {
    @Test func aValueTheFieldAlreadyHoldsMakesNoVersion() throws {
        let replica = try makeEmptyTestReplica()
        try replica.write([change("number", .int(17)), change("trend", .text("Timing"))], at: 1)
        let before = try replica.store.versionVector()
        // Given the same value five times, as `cell set 17 trend Timing` would
        for time in 2...6 {
            #expect(try replica.set(change("trend", .text("Timing")), at: Int64(time)) == .unchanged)
        }
        // Then no version was made
        #expect(try replica.store.versionVector() == before)
        guard case .written(let version, nil) = try replica.set(change("trend", .text("Improving")), at: 7) else {
            Issue.record("a new value is written")
            return
        }
        #expect(version.dot.counter == 3)
    }

    @Test func aValueLoggedButNotYetFoldedIsTheCurrentOne() throws {
        let replica = try makeEmptyTestReplica()
        try replica.write([change("number", .int(17))], at: 1)
        try replica.write([change("trend", .text("Timing"))], at: 2)
        #expect(try replica.set(change("trend", .text("Timing")), at: 3) == .unchanged)
        #expect(try replica.store.versionVector().total == 2)
    }

    @Test func aRepeatedValueNeverTurnsAColleaguesConcurrentChangeIntoAConflict() throws {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        try alice.write([change("number", .int(17)), change("trend", .text("Reversing"))], at: 1)
        try bob.store.apply(try alice.pending())
        // Alice sets the value it already has while Bob changes it
        #expect(try alice.set(change("trend", .text("Reversing")), at: 2) == .unchanged)
        _ = try bob.set(change("trend", .text("Holding")), at: 2)
        try alice.store.apply(try bob.pending())
        #expect(try alice.store.conflicts().isEmpty)
        #expect(try alice.store.record(cellID)?.value("trend") == .text("Holding"))
    }

    @Test func aWriteOntoAFieldInConflictClosesItEvenWithTheValueShown() throws {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        try alice.write([change("number", .int(17)), change("title", .text("Base"))], at: 1)
        try bob.store.apply(try alice.pending())
        try alice.write([change("title", .text("Alice's"))], at: 2)
        try bob.write([change("title", .text("Bob's"))], at: 3)
        try alice.store.apply(try bob.pending())
        let conflict = try #require(try alice.store.conflicts().first)
        let shown = try #require(try alice.store.record(cellID)?.value("title"))
        // The value shown while open is one head's; setting it still settles the conflict
        #expect(try alice.set(change("title", shown), at: 4) == .written(try alice.store.history(record: cellID, field: "title").first!, closed: conflict.id))
        #expect(try alice.store.conflicts().isEmpty)
    }
}
