import Foundation
import LocalStore
import SyncModel
import SyncProtocol
import Testing

/// Need-to-know on the SQLite server store: what each analyst's pulls hold, which pushes are
/// refused, and what an access cursor is told (see ``AccessRules``).
@Suite struct CompartmentServerTests {
    static let alicesLaptop = ReplicaID("a1a1a1a1-0000-4000-8000-000000000001")!
    /// Alice's second replica, which pulls what her first pushed (a replica's own are left out).
    static let alicesDesktop = ReplicaID("a2a2a2a2-0000-4000-8000-000000000004")!
    static let bobsLaptop = ReplicaID("b0b0b0b0-0000-4000-8000-000000000002")!
    static let carolsLaptop = ReplicaID("c0c0c0c0-0000-4000-8000-000000000003")!
    static let secretCell = RecordID("11111111-1111-4111-8111-111111111111")!
    static let openCell = RecordID("22222222-2222-4222-8222-222222222222")!
    static let signal = RecordID("33333333-3333-4333-8333-333333333333")!

    /// A version of `record`'s `field`, the `counter`th of `replica`, by `author`.
    static func version(_ replica: ReplicaID, _ counter: UInt64, _ record: RecordID, kind: String = "cell", field: String = "title",
                        value: FieldValue, author: String) -> Version {
        Version(dot: Dot(replica: replica, counter: counter), context: VersionVector(), record: record, kind: kind, field: field,
                value: value, author: author, time: Int64(counter))
    }

    /// A server with compartment `east`: alice writes it and default, bob writes default only,
    /// carol reads east only. Alice made cell 7 in east ("sentinel" in its title) and cell 8 in
    /// default.
    static func server() async throws -> SQLiteServerStore {
        let server = try SQLiteServerStore.inMemory()
        for name in ["alice", "bob", "carol"] { try server.addAnalyst(name: name, tokenHash: "hash-\(name)", at: 0) }
        try server.addCompartment("east", at: 0)
        try server.grant(analyst: "alice", compartment: "east", write: true)
        try server.grant(analyst: "carol", compartment: "east", write: false)
        #expect(try server.revokeClearance(analyst: "carol", compartment: Compartment.defaultName))
        _ = try await server.exchange(
            analyst: "alice", requester: alicesLaptop, clientVector: VersionVector(),
            versions: [version(alicesLaptop, 1, secretCell, value: .text("sentinel"), author: "alice"),
                       version(alicesLaptop, 2, secretCell, field: "number", value: .int(7), author: "alice"),
                       version(alicesLaptop, 3, openCell, value: .text("open"), author: "alice"),
                       version(alicesLaptop, 4, openCell, field: "number", value: .int(8), author: "alice")],
            homes: [Placement(record: secretCell, compartments: ["east"])], pageLimit: 10, at: 1)
        return server
    }

    /// Everything `analyst` pulls, by vector from nothing and by feed from the start.
    static func pulls(_ server: SQLiteServerStore, _ analyst: String, _ laptop: ReplicaID) async throws -> (byVector: Exchange, byFeed: Exchange) {
        let byVector = try await server.exchange(analyst: analyst, requester: laptop, clientVector: VersionVector(), versions: [],
                                                 access: .start, pageLimit: 100, at: 2)
        let byFeed = try await server.exchange(analyst: analyst, requester: laptop, clientVector: VersionVector(), cursor: .start, versions: [],
                                               access: .start, pageLimit: 100, at: 2)
        return (byVector, byFeed)
    }

    @Test func eachAnalystPullsOnlyTheRecordsOfCompartmentsTheyAreClearedFor() async throws {
        let server = try await Self.server()
        let alice = try await Self.pulls(server, "alice", Self.alicesDesktop)
        let bob = try await Self.pulls(server, "bob", Self.bobsLaptop)
        let carol = try await Self.pulls(server, "carol", Self.carolsLaptop)
        for pull in [alice.byVector, alice.byFeed] {
            #expect(Set(pull.versions.map(\.record)) == [Self.secretCell, Self.openCell])
            #expect(pull.compartments == [Placement(record: Self.secretCell, compartments: ["east"])], "the east cell is named, the default one is not")
        }
        for pull in [bob.byVector, bob.byFeed] {
            #expect(pull.versions.map(\.record) == [Self.openCell, Self.openCell])
            #expect(pull.compartments.isEmpty && !pull.more && pull.cursor != nil)
        }
        for pull in [carol.byVector, carol.byFeed] {
            #expect(pull.versions.map(\.record) == [Self.secretCell, Self.secretCell])
        }
        #expect(bob.byFeed.access?.clearances == [Clearance(compartment: "default", write: true)])
        #expect(carol.byFeed.access?.clearances == [Clearance(compartment: "east", write: false)])
        #expect(alice.byFeed.access?.clearances == [Clearance(compartment: "default", write: true), Clearance(compartment: "east", write: true)])
    }

    @Test func aPushWritingOutsideTheWriteClearancesIsRefusedAndStoresNothing() async throws {
        let server = try await Self.server()
        let before = try server.canonicalDump()
        // Bob knows the east cell's id (from an old bundle, say) and writes it.
        // Bob is not told which compartment it is in: he does not read it.
        await #expect(throws: AccessRefusal.notCleared(analyst: "bob", records: [Self.secretCell], compartments: [])) {
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.bobsLaptop, 1, Self.secretCell, value: .text("overwritten"), author: "bob")],
                                          pageLimit: 10, at: 3)
        }
        // Carol reads east but may not write it, nor place a new cell there.
        await #expect(throws: AccessRefusal.notCleared(analyst: "carol", records: [Self.signal], compartments: ["east"])) {
            _ = try await server.exchange(analyst: "carol", requester: Self.carolsLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.carolsLaptop, 1, Self.signal, value: .text("new"), author: "carol")],
                                          homes: [Placement(record: Self.signal, compartments: ["east"])], pageLimit: 10, at: 3)
        }
        await #expect(throws: AccessRefusal.notCleared(analyst: "alice", records: [Self.signal], compartments: ["west"])) {
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.alicesLaptop, 5, Self.signal, value: .text("new"), author: "alice")],
                                          homes: [Placement(record: Self.signal, compartments: ["west"])], pageLimit: 10, at: 3)
        }
        #expect(try server.canonicalDump() == before, "nothing of a refused push is stored")
    }

    @Test func aSignalIsReadOnlyByAnalystsClearedForEveryCompartmentOfItsCells() async throws {
        let server = try await Self.server()
        // Bob may not tag a signal to the east cell (number 7), and is not told its compartment.
        await #expect(throws: AccessRefusal.notCleared(analyst: "bob", records: [Self.signal], compartments: [])) {
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.bobsLaptop, 1, Self.signal, kind: "signal", field: "cells", value: .list(["7", "8"]), author: "bob")],
                                          pageLimit: 10, at: 3)
        }
        // Alice may: the signal is then in default (its home) and east (cell 7's).
        _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                      versions: [Self.version(Self.alicesLaptop, 5, Self.signal, kind: "signal", field: "cells", value: .list(["7", "8"]), author: "alice")],
                                      pageLimit: 10, at: 3)
        let alice = try await Self.pulls(server, "alice", Self.alicesDesktop)
        #expect(alice.byFeed.compartments.contains(Placement(record: Self.signal, compartments: ["default", "east"])))
        for analyst in [("bob", Self.bobsLaptop), ("carol", Self.carolsLaptop)] {
            let pulls = try await Self.pulls(server, analyst.0, analyst.1)
            #expect(!pulls.byFeed.versions.contains { $0.record == Self.signal } && !pulls.byVector.versions.contains { $0.record == Self.signal },
                    "\(analyst.0) lacks one of the signal's compartments")
        }
    }

    @Test func aMoveAndARevokeReachAnAccessCursorAsPlacementsAndClearances() async throws {
        let server = try await Self.server()
        let first = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: .start,
                                              versions: [], access: .start, pageLimit: 100, at: 2)
        let bobsCursor = try #require(first.access?.cursor)
        let nothing = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: first.cursor,
                                                versions: [], access: bobsCursor, pageLimit: 100, at: 2)
        #expect(nothing.access == nil, "nothing changed")
        // Bob may not move the open cell to east; alice may.
        await #expect(throws: CompartmentError.moveNotCleared(record: Self.openCell, compartment: "east")) {
            try server.move(record: Self.openCell, to: "east", by: "bob", at: 3)
        }
        try server.move(record: Self.openCell, to: "east", by: "alice", at: 3)
        let moved = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: first.cursor,
                                              versions: [], access: bobsCursor, pageLimit: 100, at: 4)
        #expect(moved.access?.placements == [Placement(record: Self.openCell, compartments: nil)], "bob removes the cell")
        #expect(moved.access?.clearances == nil)
        let carols = try await server.exchange(analyst: "carol", requester: Self.carolsLaptop, clientVector: VersionVector(), versions: [],
                                               access: AccessCursor(clearances: 99, placements: 0), pageLimit: 100, at: 4)
        #expect(carols.access?.placements == [Placement(record: Self.openCell, compartments: ["east"])], "carol gains it")
        #expect(Set(carols.versions.map(\.record)) == [Self.secretCell, Self.openCell])

        #expect(try server.revokeClearance(analyst: "alice", compartment: "east"))
        let revoked = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(), versions: [],
                                                access: try #require(moved.access?.cursor), pageLimit: 100, at: 5)
        #expect(revoked.access?.clearances == [Clearance(compartment: "default", write: true)])
        #expect(revoked.versions.isEmpty, "both cells are in east now")
        #expect(try server.compartments().map(\.name) == ["default", "east"])
        #expect(try server.compartments().first { $0.name == "east" }?.records == 2)
    }

    @Test func aForgedCursorVectorBackfillOrWithdrawalReachesNothingAndChangesNothing() async throws {
        let server = try await Self.server()
        let alices = try await server.exchange(analyst: "alice", requester: Self.alicesDesktop, clientVector: VersionVector(), cursor: .start,
                                               versions: [], access: .start, pageLimit: 100, at: 2)
        // Bob's first exchange binds his laptop; nothing after it may change what is stored.
        _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), versions: [], pageLimit: 1, at: 2)
        let before = try server.canonicalDump()
        // Alice's cursor, a vector claiming nothing, a backfill of east: bob gets no east version.
        for (cursor, backfill) in [(alices.cursor, nil), (nil, nil), (nil, Backfill(compartments: ["east"], records: [Self.secretCell]))] as [(FeedCursor?, Backfill?)] {
            let forged = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: cursor ?? .start,
                                                   versions: [], access: .start, backfill: backfill, pageLimit: 100, at: 3)
            #expect(!forged.versions.contains { $0.record == Self.secretCell }, "\(String(describing: cursor)) \(String(describing: backfill))")
            #expect(!forged.compartments.contains { $0.record == Self.secretCell })
        }
        let byVector = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector([Self.alicesLaptop: 0]),
                                                 versions: [], access: AccessCursor(clearances: 0, placements: 0), pageLimit: 100, at: 3)
        #expect(!byVector.versions.contains { $0.record == Self.secretCell })
        // Bob may not withdraw alice's dots (which would let her counter skip her own writes).
        await #expect(throws: ExchangeRefusal.replicaOwnedByOther(replica: Self.alicesLaptop, owner: "alice")) {
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), versions: [],
                                          withdrawn: [Dot(replica: Self.alicesLaptop, counter: 5)], pageLimit: 100, at: 3)
        }
        // A home for a record the push does not write is malformed.
        await #expect(throws: HomeError(record: Self.secretCell)) {
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.alicesLaptop, 5, Self.signal, value: .text("x"), author: "alice")],
                                          homes: [Placement(record: Self.secretCell, compartments: ["default"])], pageLimit: 100, at: 3)
        }
        #expect(try server.canonicalDump() == before, "nothing of a refused or forged request is stored")
    }

    @Test func withdrawnDotsLetAReplicasCounterPassOverWritesSetAside() async throws {
        let server = try await Self.server()
        // Alice's writes 5 and 6 were set aside; 7 goes on, and 5 can never be sent after.
        let seventh = Self.version(Self.alicesLaptop, 7, Self.openCell, value: .text("after"), author: "alice")
        await #expect(throws: VersionRefusal.counterGap(replica: Self.alicesLaptop, have: 4, got: 7)) {
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(), versions: [seventh], pageLimit: 10, at: 4)
        }
        let taken = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(), versions: [seventh],
                                              withdrawn: [Dot(replica: Self.alicesLaptop, counter: 5), Dot(replica: Self.alicesLaptop, counter: 6)],
                                              pageLimit: 10, at: 4)
        #expect(taken.vector[Self.alicesLaptop] == 7 && taken.report.new == 1)
        await #expect(throws: VersionRefusal.dotReused(Dot(replica: Self.alicesLaptop, counter: 5))) {
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.alicesLaptop, 5, Self.openCell, value: .text("late"), author: "alice")], pageLimit: 10, at: 5)
        }
    }
}
