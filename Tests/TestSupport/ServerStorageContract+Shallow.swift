import Foundation
import SyncModel
import SyncProtocol

/// The contract's part about shallow joins (``ShallowRequest``): the current state as of one
/// feed position, record by record, filtered as a pull is, and refusals that change nothing.
extension ServerStorageContract {
    static let secondRecord = RecordID("22222222-2222-4222-8222-222222222222")!

    /// A version of `record`'s title after `context`, saying who wrote it.
    static func shallowVersion(_ replica: ReplicaID, _ counter: UInt64, _ record: RecordID, after context: [Dot], author: String) -> Version {
        version(replica, counter, record, value: .text("\(author) \(counter)"), author: author, after: context)
    }

    func runShallow<Store: InspectableStorage>(_ server: Store, _ findings: inout Findings) async throws {
        switch self {
        case .servesTheCurrentStateAsOfOnePositionRecordByRecord:
            // The first record: alice writes a1, then a2 over it; bob writes b1 over a1 alone, so
            // a2 and b1 are heads and a1 their ancestor. The second: a3, then a4 over it.
            let a = Self.alicesLaptop, b = Self.bobsLaptop
            let a1 = Dot(replica: a, counter: 1), a3 = Dot(replica: a, counter: 3)
            _ = try await server.exchange(analyst: "alice", requester: a, clientVector: VersionVector(), versions: [
                Self.shallowVersion(a, 1, Self.record, after: [], author: "alice"),
                Self.shallowVersion(a, 2, Self.record, after: [a1], author: "alice"),
                Self.shallowVersion(a, 3, Self.secondRecord, after: [], author: "alice"),
                Self.shallowVersion(a, 4, Self.secondRecord, after: [a3], author: "alice"),
            ], pageLimit: 10, at: 1)
            _ = try await server.exchange(analyst: "bob", requester: b, clientVector: VersionVector(),
                                          versions: [Self.shallowVersion(b, 1, Self.record, after: [a1], author: "bob")], pageLimit: 10, at: 2)
            let laptop = Self.carolsLaptop
            // A page of two versions still takes the first record whole (three)
            let first = try await server.exchange(analyst: "carol", requester: laptop, clientVector: VersionVector(), versions: [],
                                                  shallow: ShallowRequest(), pageLimit: 2, at: 3)
            findings.expect(first.versions.map(\.dot) == [a1, Dot(replica: a, counter: 2), Dot(replica: b, counter: 1)], "\(first.versions.map(\.dot))")
            findings.expect(first.more && first.cursor == nil && first.shallow?.reached == Self.record && first.shallow?.at.seq == 5, "\(String(describing: first.shallow))")
            findings.expect(first.shallow?.seen == VersionVector(text: "\(a.rawValue):2,\(b.rawValue):1"), "\(String(describing: first.shallow?.seen))")
            // A version stored meanwhile is not in the state the join shows; the feed brings it
            _ = try await server.exchange(analyst: "alice", requester: a, clientVector: VersionVector(),
                                          versions: [Self.shallowVersion(a, 5, Self.secondRecord, after: [Dot(replica: a, counter: 4)], author: "alice")],
                                          pageLimit: 10, at: 4)
            guard let at = first.shallow?.at else {
                findings.expect(false, "the first shallow page says where it stands")
                return
            }
            let second = try await server.exchange(analyst: "carol", requester: laptop, clientVector: VersionVector(), versions: [],
                                                   shallow: ShallowRequest(at: at, after: Self.record), pageLimit: 2, at: 5)
            findings.expect(second.versions.map(\.dot) == [Dot(replica: a, counter: 4)] && !second.more, "\(second.versions.map(\.dot))")
            findings.expect(second.shallow?.at == at && second.shallow?.reached == Self.secondRecord)
            // Refused, changing nothing: a position of another feed, and a shallow request that pushes
            let before = try await server.canonicalDump()
            await findings.expectCode(.unknownCursor) {
                _ = try await server.exchange(analyst: "carol", requester: laptop, clientVector: VersionVector(), versions: [],
                                              shallow: ShallowRequest(at: FeedCursor(seq: at.seq, chain: at.chain ^ 1)), pageLimit: 2, at: 6)
            }
            await findings.expectCode(.malformedBody) {
                _ = try await server.exchange(analyst: "carol", requester: laptop, clientVector: VersionVector(),
                                              versions: [Self.shallowVersion(laptop, 1, Self.record, after: [], author: "carol")],
                                              shallow: ShallowRequest(), pageLimit: 2, at: 6)
            }
            findings.expect(try await server.canonicalDump() == before, "a refused shallow request changes nothing")
        case .servesAShallowJoinOnlyWhatTheAnalystMayRead:
            try await Self.compartmentedStore(server)
            func join(_ analyst: String, _ laptop: ReplicaID) async throws -> Exchange {
                try await server.exchange(analyst: analyst, requester: laptop, clientVector: VersionVector(), versions: [], access: .start,
                                          shallow: ShallowRequest(), pageLimit: 100, at: 2)
            }
            let alice = try await join("alice", Self.alicesDesktop)
            let bob = try await join("bob", Self.bobsLaptop)
            let carol = try await join("carol", Self.carolsLaptop)
            findings.expect(Set(alice.versions.map(\.record)) == [Self.secretCell, Self.openCell] && alice.versions.count == 4)
            findings.expect(alice.compartments == [Placement(record: Self.secretCell, compartments: ["east"])], "\(alice.compartments)")
            findings.expect(bob.versions.map(\.record) == [Self.openCell, Self.openCell] && bob.compartments.isEmpty, "\(bob.versions.map(\.record))")
            findings.expect(bob.shallow?.seen == VersionVector(text: "\(Self.alicesLaptop.rawValue):4"), "bob's frontier counts only what he reads")
            findings.expect(carol.versions.map(\.record) == [Self.secretCell, Self.secretCell], "\(carol.versions.map(\.record))")
            findings.expect(!bob.more && !carol.more && bob.access?.clearances != nil, "the answer tells the analyst their clearances")
        default:
            break
        }
    }
}
