import Foundation
import SyncModel
import SyncProtocol

/// The contract's parts about what operators count: conflicts as replicas report them, and
/// bundle applies by result.
extension ServerStorageContract {
    static let conflictX = ConflictID("00000000000000aa")!
    static let conflictY = ConflictID("00000000000000bb")!
    static let conflictZ = ConflictID("00000000000000cc")!
    static let conflictW = ConflictID("00000000000000dd")!

    func runTallies<Store: InspectableStorage>(_ server: Store, _ findings: inout Findings) async throws {
        let alice = Self.alicesLaptop, bob = Self.bobsLaptop
        /// A pull (no versions) from `replica` carrying `report`.
        func report(_ analyst: String, _ replica: ReplicaID, opened: [ConflictID] = [], resolved: [ConflictID] = [], at time: Int64) async throws {
            _ = try await server.exchange(analyst: analyst, requester: replica, clientVector: VersionVector(), cursor: .start, versions: [],
                                          conflicts: ConflictReport(opened: opened, resolved: resolved), pageLimit: 10, at: time)
        }
        func expectCounts(_ expected: ConflictCounts, _ note: String = "", line: Int = #line) async throws {
            let seen = try await server.conflictCounts()
            findings.expect(seen == expected, "\(note) (counted \(seen))", line: line)
        }
        switch self {
        case .countsEachReportedConflictOnceAndNeverReopensAResolvedOne:
            try await expectCounts(ConflictCounts(open: 0, opened: 0))
            try await report("alice", alice, opened: [Self.conflictX, Self.conflictY], at: 1)
            try await expectCounts(ConflictCounts(open: 2, opened: 2))
            // Bob's replica sees the same conflict: every replica names it alike.
            try await report("bob", bob, opened: [Self.conflictX], at: 2)
            try await expectCounts(ConflictCounts(open: 2, opened: 2), "a conflict two replicas report counts once")
            try await report("alice", alice, resolved: [Self.conflictX], at: 3)
            try await expectCounts(ConflictCounts(open: 1, opened: 2))
            // Bob has not pulled the resolution yet: his report of it open again changes nothing.
            try await report("bob", bob, opened: [Self.conflictX], at: 4)
            try await report("bob", bob, resolved: [Self.conflictX], at: 5)
            try await expectCounts(ConflictCounts(open: 1, opened: 2), "a resolved conflict never reopens")
            // One opened and resolved between two of a replica's reports, or reported resolved only.
            try await report("bob", bob, opened: [Self.conflictW], resolved: [Self.conflictW, Self.conflictZ], at: 6)
            try await expectCounts(ConflictCounts(open: 1, opened: 4))
            // A report with versions, in the push's transaction.
            _ = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                          versions: [Self.version(alice, 1, author: "alice")],
                                          conflicts: ConflictReport(resolved: [Self.conflictY]), pageLimit: 10, at: 7)
            try await expectCounts(ConflictCounts(open: 0, opened: 4))
        case .recordsNoConflictReportOfARefusedExchange:
            try await report("alice", alice, opened: [Self.conflictX], at: 1)
            await findings.expectThrows(ExchangeRefusal.replicaOwnedByOther(replica: alice, owner: "alice")) {
                try await report("bob", alice, opened: [Self.conflictY], resolved: [Self.conflictX], at: 2)
            }
            await findings.expectCode(.counterGap) {
                _ = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                              versions: [Self.version(alice, 3, author: "alice")],
                                              conflicts: ConflictReport(opened: [Self.conflictY], resolved: [Self.conflictX]), pageLimit: 10, at: 3)
            }
            let tooMany = (0...ConflictReport.maxIDs).map { ConflictID(String(format: "%016x", $0))! }
            await findings.expectCode(.malformedBody) { try await report("alice", alice, opened: tooMany, at: 4) }
            try await expectCounts(ConflictCounts(open: 1, opened: 1), "refused exchanges recorded nothing")
        case .countsBundleAppliesByResult:
            findings.expect(try await server.bundleApplies().isEmpty)
            try await server.recordRefusedBundleApply(.badBundle, at: 1)
            try await server.recordRefusedBundleApply(BundleApplyResult.Reason(ExchangeRefusal.unknownKey(replica: alice)), at: 2)
            try await server.recordRefusedBundleApply(.badBundle, at: 3)
            let refusals: [BundleApplyResult: Int] = [.refused(.badBundle): 2, .refused(.init(rawValue: "unknown_key")): 1]
            var applies = try await server.bundleApplies()
            findings.expect(applies == refusals, "\(applies)")
            // Applied ones are counted by the transaction that stores them, whole or not at all.
            _ = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                          versions: [Self.version(alice, 1, author: "alice")], publicKey: Self.aliceKey.publicKey, pageLimit: 10, at: 4)
            let offline = [Self.version(alice, 2, author: "alice"), Self.version(alice, 3, author: "alice")]
            await findings.expectThrows(ExchangeRefusal.unsigned(dot: Dot(replica: alice, counter: 2))) {
                _ = try await server.storeCarried(offline, signatures: [], at: 5)
            }
            findings.expect(try await server.bundleApplies() == refusals, "a refused bundle is not counted applied")
            _ = try await server.storeCarried(offline, signatures: Self.aliceKey.signRanges(offline), at: 6)
            _ = try await server.storeCarried(offline, signatures: Self.aliceKey.signRanges(offline), at: 7)
            applies = try await server.bundleApplies()
            findings.expect(applies == refusals.merging([.applied: 2]) { $1 }, "\(applies)")
        default:
            findings.expect(false, "\(self) is not a part about operators' counts")
        }
    }
}
