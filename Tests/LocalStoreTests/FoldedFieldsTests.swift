@testable import LocalStore
import SyncModel
import Testing
import TestSupport

/// The server prepares a push with each field's versions folded beside its writer, and the writer
/// adopts the folded state of a field new to the store; the result must be exactly what folding
/// version by version gives.
@Suite struct FoldedFieldsTests {
    /// Pages of 40 that repeat the previous page's last 15 versions: every page after the first
    /// holds duplicates, fields the store already holds, and fields new to it.
    static func overlappingPages(_ versions: [Version]) -> [[Version]] {
        stride(from: 0, to: versions.count, by: 40).map { Array(versions[max(0, $0 - 15)..<min($0 + 40, versions.count)]) }
    }

    @Test("folded pages equal pages folded version by version", arguments: testSeeds(count: 12, base: 71_000))
    func foldedFieldsEqualOneByOne(seed: UInt64) throws {
        let versions = try DeferredFieldsTests.history(seed: seed)
        let oneByOne = try makeEmptyTestReplica("erin"), folded = try makeEmptyTestReplica("erin")
        // Fields new to the store when their page arrives (their folded state is adopted whole)
        // and fields it already holds (folded one by one): both must occur.
        var (newFields, heldFields) = (0, 0)
        for page in Self.overlappingPages(versions) {
            let expected = try oneByOne.receive(oneByOne.store.prepare(page), serverVector: VersionVector())
            let prepared = try folded.store.prepareFoldingFields(page)
            #expect(prepared.fieldOf.count == page.count && prepared.fields.map(\.members.count).reduce(0, +) == page.count)
            for fold in prepared.fields {
                if try folded.store.record(fold.key.record)?.fields[fold.key.field] == nil { newFields += 1 } else { heldFields += 1 }
            }
            let report = try folded.receive(prepared, serverVector: VersionVector())
            #expect(report == expected, "seed \(seed): the same report, conflicts in the same order")
        }
        #expect(newFields > 0 && heldFields > 0, "seed \(seed): \(newFields) new fields, \(heldFields) held")
        #expect(try folded.store.canonicalDump() == oneByOne.store.canonicalDump(), "seed \(seed)")
        #expect(try Set(folded.store.conflicts().map(\.id)) == Set(oneByOne.store.conflicts().map(\.id)), "seed \(seed)")
    }

    @Test func aFoldedFieldCarriesItsLastHeadsValueText() throws {
        let alice = try makeEmptyTestReplica("alice"), bob = try makeEmptyTestReplica("bob")
        let first = try alice.write([change("title", .text("A")), change("title", .text("B"))], at: 1)
        let concurrent = try bob.write([change("tier", .text("Tier 1"))], at: 1) + alice.write([change("tier", .text("Tier 2"))], at: 2)
        let prepared = try makeEmptyTestReplica().store.prepareFoldingFields(first + concurrent)
        #expect(prepared.fields.map(\.key.field) == ["title", "tier"])
        #expect(prepared.fieldOf == [0, 0, 1, 1])
        #expect(prepared.fields[0].entry.newHeads.map(\.dot) == [first[1].dot])
        #expect(prepared.fields[0].entry.soleHead?.dot == first[1].dot)
        #expect(prepared.fields[0].entry.soleHead?.text == StoreCoding.encode(.text("B")))
        #expect(prepared.fields[1].entry.newHeads.count == 2)
    }
}
