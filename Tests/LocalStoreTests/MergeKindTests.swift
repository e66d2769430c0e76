import Foundation
@testable import LocalStore
import SyncModel
import Testing

/// Each field kind merged through the real store by two replicas that wrote concurrently.
@Suite struct MergeKindTests {
    /// alice writes `base`, bob learns it, then each writes concurrently; both then exchange.
    func concurrent(field: String, base: FieldValue, alice aliceValue: FieldValue, bob bobValue: FieldValue) throws -> (Replica, Replica) {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        try bob.store.apply(try alice.write([change("number", .int(1)), change(field, base)], at: 1))
        let fromAlice = try alice.write([change(field, aliceValue)], at: 2)
        let fromBob = try bob.write([change(field, bobValue)], at: 3)
        try alice.store.apply(fromBob)
        try bob.store.apply(fromAlice)
        #expect(try alice.store.canonicalDump() == bob.store.canonicalDump())
        return (alice, bob)
    }

    @Test("prose and lists merge without conflict when edits do not overlap", arguments: [
        ("assessment", FieldValue.text("First paragraph.\n\nSecond paragraph.\n\nThird paragraph."),
         FieldValue.text("First paragraph, revised by alice.\n\nSecond paragraph.\n\nThird paragraph."),
         FieldValue.text("First paragraph.\n\nSecond paragraph.\n\nThird paragraph, revised by bob."),
         FieldValue.text("First paragraph, revised by alice.\n\nSecond paragraph.\n\nThird paragraph, revised by bob.")),
        ("keyIndicators", .list(["NATO spending", "Indo-Pacific", "Africa"]), .list(["NATO spending 5%", "Indo-Pacific", "Africa"]),
         .list(["NATO spending", "Indo-Pacific", "Africa", "Pax Silica"]), .list(["NATO spending 5%", "Indo-Pacific", "Africa", "Pax Silica"])),
        ("commitments", .list(["a", "b"]), .list(["a", "b", "c"]), .list(["b"]), .list(["b", "c"])),
        ("relatedCells", .list(["16"]), .list(["16", "17"]), .list(["16", "18"]), .list(["16", "17", "18"])),
    ])
    func cleanMerges(field: String, base: FieldValue, alice: FieldValue, bob: FieldValue, expected: FieldValue) throws {
        let (replica, _) = try concurrent(field: field, base: base, alice: alice, bob: bob)
        let snapshot = try #require(try replica.store.record(cellID)?.fields[field])
        #expect(snapshot.value == expected)
        #expect(snapshot.conflict == nil)
        #expect(snapshot.headCount == 2, "both writes stay heads: the merge is computed, not written")
    }

    @Test("overlapping prose and list edits conflict and keep the base and both heads", arguments: [
        ("assessment", FieldValue.text("One.\n\nTwo."), FieldValue.text("One by alice.\n\nTwo."), FieldValue.text("One by bob.\n\nTwo.")),
        ("sources", .list(["Tier 1", "Tier 2"]), .list(["Tier 1 (primary)", "Tier 2"]), .list(["Tier 1 (official)", "Tier 2"])),
        ("title", .text("Title"), .text("Alice's title"), .text("Bob's title")),
    ])
    func overlappingEditsConflict(field: String, base: FieldValue, alice: FieldValue, bob: FieldValue) throws {
        let (replica, other) = try concurrent(field: field, base: base, alice: alice, bob: bob)
        let conflicts = try replica.store.conflicts()
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.base?.value == base)
        #expect(Set(conflicts.first?.heads.map(\.value) ?? []) == [alice, bob])
        #expect(try other.store.conflicts().map(\.id) == conflicts.map(\.id))
        // A resolution on one replica closes it on the other
        try other.store.apply(try replica.write([change(field, alice)], at: 9))
        #expect(try other.store.conflicts().isEmpty)
        #expect(try other.store.record(cellID)?.value(field) == alice)
    }

    @Test func aDeleteAgainstAnUnseenEditIsAConflictResolvedByKeepOrDelete() throws {
        for keep in [true, false] {
            let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
            try bob.store.apply(try alice.write([change("number", .int(1)), change("title", .text("T"))], at: 1))
            let deletion = try alice.write([change("_deleted", .bool(true))], at: 2)
            let edit = try bob.write([change("trend", .text("Edited while deleted elsewhere"))], at: 3)
            try alice.store.apply(edit)
            try bob.store.apply(deletion)
            for replica in [alice, bob] {
                let conflicts = try replica.store.conflicts()
                #expect(conflicts.count == 1 && conflicts.first?.field == "_deleted")
                #expect(Set(conflicts.first?.heads.map(\.author) ?? []) == ["alice", "bob"])
                #expect(try replica.store.record(cellID)?.deleted == false, "kept visible while the conflict is open")
            }
            #expect(try alice.store.conflicts().map(\.id) == bob.store.conflicts().map(\.id))
            // Resolved on bob's side, closed on alice's after the exchange
            try alice.store.apply(try bob.write([change("_deleted", .bool(!keep))], at: 4))
            for replica in [alice, bob] {
                #expect(try replica.store.conflicts().isEmpty)
                #expect(try replica.store.record(cellID)?.deleted == !keep)
            }
            #expect(try alice.store.canonicalDump() == bob.store.canonicalDump())
        }
    }

    @Test func aDeleteThatSawEveryEditIsNoConflict() throws {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        try bob.store.apply(try alice.write([change("number", .int(1))], at: 1))
        try alice.store.apply(try bob.write([change("trend", .text("Edited"))], at: 2))
        try bob.store.apply(try alice.write([change("_deleted", .bool(true))], at: 3))
        #expect(try bob.store.conflicts().isEmpty)
        #expect(try bob.store.record(cellID)?.deleted == true)
        #expect(try bob.store.records(kind: "cell").isEmpty)
    }

    @Test func threeConcurrentProseEditsMergeTheSameWayOnEveryReplica() throws {
        let names = ["alice", "bob", "carol"]
        let replicas = try names.map { try makeEmptyTestReplica($0) }
        let base = try replicas[0].write([change("number", .int(1)), change("assessment", .text("P1\n\nP2\n\nP3"))], at: 1)
        for replica in replicas.dropFirst() { try replica.store.apply(base) }
        let texts = ["P1 (alice)\n\nP2\n\nP3", "P1\n\nP2 (bob)\n\nP3", "P1\n\nP2\n\nP3 (carol)"]
        let writes = try zip(replicas, texts).map { replica, text in try replica.write([change("assessment", .text(text))], at: 2) }
        for (index, replica) in replicas.enumerated() {
            for (other, versions) in writes.enumerated() where other != index { try replica.store.apply(versions) }
        }
        for replica in replicas {
            #expect(try replica.store.record(cellID)?.value("assessment") == .text("P1 (alice)\n\nP2 (bob)\n\nP3 (carol)"))
            #expect(try replica.store.conflicts().isEmpty)
        }
        #expect(Set(try replicas.map { try $0.store.canonicalDump() }).count == 1)
    }
}
