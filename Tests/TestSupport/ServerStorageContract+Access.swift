import Foundation
import SyncModel
import SyncProtocol

/// The contract's parts about need-to-know (see ``AccessRules``): what each analyst's pulls hold,
/// which pushes are refused, what an access cursor is told, backfills, the admin's commands,
/// and records' compartments under concurrent pushes and moves.
extension ServerStorageContract {
    /// Alice's second replica, which pulls what her first pushed (a replica's own are left out).
    static let alicesDesktop = ReplicaID("a2a2a2a2-0000-4000-8000-000000000004")!
    static let secretCell = RecordID("51515151-1111-4111-8111-111111111111")!
    static let openCell = RecordID("52525252-2222-4222-8222-222222222222")!
    static let signal = RecordID("53535353-3333-4333-8333-333333333333")!

    /// Whether this part needs a storage that keeps compartments. On one that does not
    /// (``InspectableStorage/keepsCompartments``), the part checks instead that every command
    /// about them is refused, never pretended.
    var needsCompartments: Bool {
        switch self {
        case .pullsOnlyTheRecordsOfCompartmentsTheAnalystIsClearedFor, .refusesAPushOutsideTheWriteClearancesAndStoresNothing,
             .readsASignalOnlyWhenClearedForEveryCompartmentOfItsCells, .tellsAnAccessCursorOfMovesRevokesAndGrants,
             .backfillsTheHistoryOfRecordsNewlyReadable, .keepsCompartmentsClearancesAndDefaultCompartments,
             .givesNothingToAnAnalystWhoseDefaultClearanceWasRevoked, .placesRecordsAlikeUnderConcurrentPushesAndMoves,
             .reachesNothingWithAForgedCursorVectorOrBackfill, .estimatesAPullPageByPageAsTheAnalystMayReadItAndStoresNothing,
             .servesAShallowJoinOnlyWhatTheAnalystMayRead:
            return true
        default:
            return false
        }
    }

    /// A version of `record`'s `field`, the `counter`th of `replica`, by `author`.
    static func version(_ replica: ReplicaID, _ counter: UInt64, _ record: RecordID, kind: String = "cell", field: String = "title",
                        value: FieldValue, author: String, after context: [Dot] = []) -> Version {
        var vector = VersionVector()
        for dot in context { vector.add(dot) }
        return Version(dot: Dot(replica: replica, counter: counter), context: vector, record: record, kind: kind, field: field,
                       value: value, author: author, time: Int64(counter))
    }

    /// A store with compartment `east`: alice writes it and default, bob writes default only,
    /// carol reads east only. Alice made cell 7 in east ("sentinel" in its title) and cell 8 in
    /// default, four versions at feed positions 1 to 4.
    static func compartmentedStore(_ server: some ServerStorage) async throws {
        try await server.addCompartment("east", at: 0)
        try await server.grant(analyst: "alice", compartment: "east", write: true)
        try await server.grant(analyst: "carol", compartment: "east", write: false)
        _ = try await server.revokeClearance(analyst: "carol", compartment: Compartment.defaultName)
        _ = try await server.exchange(
            analyst: "alice", requester: alicesLaptop, clientVector: VersionVector(),
            versions: [version(alicesLaptop, 1, secretCell, value: .text("sentinel"), author: "alice"),
                       version(alicesLaptop, 2, secretCell, field: "number", value: .int(7), author: "alice"),
                       version(alicesLaptop, 3, openCell, value: .text("open"), author: "alice"),
                       version(alicesLaptop, 4, openCell, field: "number", value: .int(8), author: "alice")],
            homes: [Placement(record: secretCell, compartments: ["east"])], pageLimit: 10, at: 1)
    }

    /// Everything `analyst` pulls, by vector from nothing and by feed from the start.
    static func pulls(_ server: some ServerStorage, _ analyst: String, _ laptop: ReplicaID) async throws -> (byVector: Exchange, byFeed: Exchange) {
        let byVector = try await server.exchange(analyst: analyst, requester: laptop, clientVector: VersionVector(), versions: [],
                                                 access: .start, pageLimit: 100, at: 2)
        let byFeed = try await server.exchange(analyst: analyst, requester: laptop, clientVector: VersionVector(), cursor: .start, versions: [],
                                               access: .start, pageLimit: 100, at: 2)
        return (byVector, byFeed)
    }

    func runAccess<Store: InspectableStorage>(_ server: Store, _ findings: inout Findings) async throws {
        switch self {
        case .pullsOnlyTheRecordsOfCompartmentsTheAnalystIsClearedFor:
            try await Self.compartmentedStore(server)
            let alice = try await Self.pulls(server, "alice", Self.alicesDesktop)
            let bob = try await Self.pulls(server, "bob", Self.bobsLaptop)
            let carol = try await Self.pulls(server, "carol", Self.carolsLaptop)
            for pull in [alice.byVector, alice.byFeed] {
                findings.expect(Set(pull.versions.map(\.record)) == [Self.secretCell, Self.openCell])
                findings.expect(pull.compartments == [Placement(record: Self.secretCell, compartments: ["east"])], "the east cell is named, the default one is not")
            }
            for pull in [bob.byVector, bob.byFeed] {
                findings.expect(pull.versions.map(\.record) == [Self.openCell, Self.openCell], "\(pull.versions.map(\.record))")
                findings.expect(pull.compartments.isEmpty && !pull.more && pull.cursor?.seq == 4,
                                "bob's pulls end at the head, past the east versions they leave out")
            }
            for pull in [carol.byVector, carol.byFeed] {
                findings.expect(pull.versions.map(\.record) == [Self.secretCell, Self.secretCell])
            }
            // A page as long as its limit goes on after its last version, not after what it left out.
            let first = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: .start,
                                                  versions: [], pageLimit: 1, at: 2)
            findings.expect(first.versions.map(\.dot.counter) == [3] && first.more && first.cursor?.seq == 3, "\(first.versions.map(\.dot)) \(String(describing: first.cursor))")
            findings.expect(bob.byFeed.access?.clearances == [Clearance(compartment: "default", write: true)])
            findings.expect(carol.byFeed.access?.clearances == [Clearance(compartment: "east", write: false)])
            findings.expect(alice.byFeed.access?.clearances == [Clearance(compartment: "default", write: true), Clearance(compartment: "east", write: true)])
            // Each is told what colleagues read among their own compartments: what a bundle for one is filtered by.
            func colleagues(_ pull: Exchange) -> [String: [String]]? {
                pull.access?.colleagues?.filter { ["alice", "bob", "carol"].contains($0.key) }
            }
            findings.expect(colleagues(alice.byFeed) == ["alice": ["default", "east"], "bob": ["default"], "carol": ["east"]], "\(String(describing: alice.byFeed.access?.colleagues))")
            findings.expect(colleagues(bob.byFeed) == ["alice": ["default"], "bob": ["default"], "carol": []], "\(String(describing: bob.byFeed.access?.colleagues))")
            findings.expect(colleagues(carol.byFeed) == ["alice": ["east"], "bob": [], "carol": ["east"]], "\(String(describing: carol.byFeed.access?.colleagues))")
            // The pusher is told where every record it pushed stands (held or new), which its own
            // pulls skip: those it reads, default ones too.
            let own = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(), cursor: .start,
                                                versions: [Self.version(Self.alicesLaptop, 4, Self.openCell, field: "number", value: .int(8), author: "alice"),
                                                           Self.version(Self.alicesLaptop, 5, Self.secretCell, value: .text("again"), author: "alice")],
                                                access: .start, pageLimit: 100, at: 3)
            findings.expect(own.versions.isEmpty && own.compartments == [Placement(record: Self.secretCell, compartments: ["east"]),
                                                                       Placement(record: Self.openCell, compartments: ["default"])].sorted { $0.record < $1.record },
                            "\(own.compartments)")
        case .refusesAPushOutsideTheWriteClearancesAndStoresNothing:
            try await Self.compartmentedStore(server)
            let before = try await server.canonicalDump()
            // Bob knows the east cell's id (from an old bundle, say) and writes it; he is not told
            // which compartment it is in, since he does not read it.
            await findings.expectThrows(AccessRefusal.notCleared(analyst: "bob", records: [Self.secretCell], compartments: [])) {
                _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.bobsLaptop, 1, Self.secretCell, value: .text("overwritten"), author: "bob")],
                                              pageLimit: 10, at: 3)
            }
            // Carol reads east but may not write it, nor place a new cell there.
            await findings.expectThrows(AccessRefusal.notCleared(analyst: "carol", records: [Self.signal], compartments: ["east"])) {
                _ = try await server.exchange(analyst: "carol", requester: Self.carolsLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.carolsLaptop, 1, Self.signal, value: .text("new"), author: "carol")],
                                              homes: [Placement(record: Self.signal, compartments: ["east"])], pageLimit: 10, at: 3)
            }
            // A compartment the store lacks is refused as one not cleared: a refusal does not tell which exist.
            await findings.expectThrows(AccessRefusal.notCleared(analyst: "alice", records: [Self.signal], compartments: ["west"])) {
                _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.alicesLaptop, 5, Self.signal, value: .text("new"), author: "alice")],
                                              homes: [Placement(record: Self.signal, compartments: ["west"])], pageLimit: 10, at: 3)
            }
            findings.expect(try await server.canonicalDump() == before, "nothing of a refused push is stored")
            // A home named for a record the store holds already changes nothing.
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.alicesLaptop, 5, Self.openCell, value: .text("renamed"), author: "alice")],
                                          homes: [Placement(record: Self.openCell, compartments: ["east"])], pageLimit: 10, at: 4)
            findings.expect(try await server.compartments(of: Self.openCell) == ["default"])
        case .readsASignalOnlyWhenClearedForEveryCompartmentOfItsCells:
            try await Self.compartmentedStore(server)
            // Bob may not tag a signal to the east cell (number 7), and is not told its compartment.
            await findings.expectThrows(AccessRefusal.notCleared(analyst: "bob", records: [Self.signal], compartments: [])) {
                _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.bobsLaptop, 1, Self.signal, kind: "signal", field: "cells", value: .list(["7", "8"]), author: "bob")],
                                              pageLimit: 10, at: 3)
            }
            // Nor name it by id.
            await findings.expectThrows(AccessRefusal.notCleared(analyst: "bob", records: [Self.signal], compartments: [])) {
                _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.bobsLaptop, 1, Self.signal, kind: "signal", field: "cells",
                                                                      value: .list([Self.secretCell.rawValue]), author: "bob")],
                                              pageLimit: 10, at: 3)
            }
            // Alice may: the signal is then in default (its home) and east (cell 7's).
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.alicesLaptop, 5, Self.signal, kind: "signal", field: "cells", value: .list(["7", "8"]), author: "alice")],
                                          pageLimit: 10, at: 3)
            let alice = try await Self.pulls(server, "alice", Self.alicesDesktop)
            findings.expect(alice.byFeed.compartments.contains(Placement(record: Self.signal, compartments: ["default", "east"])), "\(alice.byFeed.compartments)")
            for analyst in [("bob", Self.bobsLaptop), ("carol", Self.carolsLaptop)] {
                let pulls = try await Self.pulls(server, analyst.0, analyst.1)
                findings.expect(!pulls.byFeed.versions.contains { $0.record == Self.signal } && !pulls.byVector.versions.contains { $0.record == Self.signal },
                                "\(analyst.0) lacks one of the signal's compartments")
            }
            // Signals naming cells by id: one names the open cell, one a cell the store does not hold yet.
            let westCell = RecordID("54545454-4444-4444-8444-444444444444")!
            let byID = RecordID("55555555-5555-4555-8555-555555555555")!, early = RecordID("56565656-6666-4666-8666-666666666666")!
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.alicesLaptop, 6, byID, kind: "signal", field: "cells", value: .list([Self.openCell.rawValue]), author: "alice"),
                                                     Self.version(Self.alicesLaptop, 7, early, kind: "signal", field: "cells", value: .list([westCell.rawValue]), author: "alice")],
                                          pageLimit: 10, at: 4)
            let (first, second) = (try await server.compartments(of: byID), try await server.compartments(of: early))
            findings.expect(first == ["default"] && second == ["default"], "\(String(describing: first)) \(String(describing: second))")
            // A cell given a number the signal names later brings its compartment to the signal,
            // and to the signal that named it by id before it existed.
            try await server.addCompartment("west", at: 4)
            try await server.grant(analyst: "alice", compartment: "west", write: true)
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.alicesLaptop, 8, westCell, field: "number", value: .int(8), author: "alice")],
                                          homes: [Placement(record: westCell, compartments: ["west"])], pageLimit: 10, at: 5)
            let widened = try await server.compartments(of: Self.signal)
            findings.expect(widened == ["default", "east", "west"], "\(String(describing: widened))")
            let named = try await server.compartments(of: early)
            findings.expect(named == ["default", "west"], "\(String(describing: named))")
            // A move brings the cell's new compartment to the signals naming it, by number or by id.
            try await server.addCompartment("north", at: 6)
            try await server.move(record: Self.openCell, to: "north", by: nil, at: 6)
            findings.expect(try await server.compartments(of: Self.signal) == ["default", "east", "north", "west"])
            findings.expect(try await server.compartments(of: byID) == ["default", "north"])
            findings.expect(try await server.compartments(of: Self.openCell) == ["north"])
        case .tellsAnAccessCursorOfMovesRevokesAndGrants:
            try await Self.compartmentedStore(server)
            let first = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: .start,
                                                  versions: [], access: .start, pageLimit: 100, at: 2)
            guard let bobsCursor = first.access?.cursor else { return findings.expect(false, "a first pull with an access cursor is told the clearances") }
            let nothing = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: first.cursor,
                                                    versions: [], access: bobsCursor, pageLimit: 100, at: 2)
            findings.expect(nothing.access == nil, "nothing changed")
            // Bob may not move the open cell to east; alice may; only cells move.
            await findings.expectThrows(CompartmentError.moveNotCleared(record: Self.openCell, compartment: "east")) {
                try await server.move(record: Self.openCell, to: "east", by: "bob", at: 3)
            }
            // An analyst is answered alike for what does not exist and what they may not see.
            await findings.expectThrows(CompartmentError.moveNotCleared(record: Self.openCell, compartment: "west")) {
                try await server.move(record: Self.openCell, to: "west", by: "alice", at: 3)
            }
            await findings.expectThrows(CompartmentError.notFound("west")) { try await server.move(record: Self.openCell, to: "west", by: nil, at: 3) }
            await findings.expectThrows(CompartmentError.recordNotFound(Self.signal)) { try await server.move(record: Self.signal, to: "east", by: "alice", at: 3) }
            await findings.expectThrows(CompartmentError.recordNotFound(Self.secretCell)) { try await server.move(record: Self.secretCell, to: "default", by: "bob", at: 3) }
            try await server.move(record: Self.openCell, to: "east", by: "alice", at: 3)
            let moved = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: first.cursor,
                                                  versions: [], access: bobsCursor, pageLimit: 100, at: 4)
            findings.expect(moved.access?.placements == [Placement(record: Self.openCell, compartments: nil)], "bob removes the cell")
            findings.expect(moved.access?.clearances == nil)
            let carols = try await server.exchange(analyst: "carol", requester: Self.carolsLaptop, clientVector: VersionVector(), versions: [],
                                                   access: AccessCursor(clearances: 99, placements: 0), pageLimit: 100, at: 4)
            findings.expect(carols.access?.placements == [Placement(record: Self.openCell, compartments: ["east"])], "carol gains it")
            findings.expect(Set(carols.versions.map(\.record)) == [Self.secretCell, Self.openCell])
            // Moving it where it is changes nothing a replica follows.
            try await server.move(record: Self.openCell, to: "east", by: "alice", at: 5)
            let again = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: moved.cursor,
                                                  versions: [], access: moved.access?.cursor, pageLimit: 100, at: 5)
            findings.expect(again.access == nil, "\(String(describing: again.access))")

            findings.expect(try await server.revokeClearance(analyst: "alice", compartment: "east"))
            findings.expect(try await server.revokeClearance(analyst: "alice", compartment: "east") == false, "a clearance revoked twice")
            let revoked = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(), versions: [],
                                                    access: moved.access?.cursor, pageLimit: 100, at: 5)
            findings.expect(revoked.access?.clearances == [Clearance(compartment: "default", write: true)])
            findings.expect(revoked.versions.isEmpty, "both cells are in east now")
            // Bob's clearances did not change, but what a colleague reads did: he is told again.
            let told = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: moved.cursor,
                                                 versions: [], access: moved.access?.cursor, pageLimit: 100, at: 5)
            findings.expect(told.access?.clearances == [Clearance(compartment: "default", write: true)] && told.access?.colleagues?["alice"] == ["default"],
                            "\(String(describing: told.access))")
            let counts = try await server.compartments()
            findings.expect(counts.map(\.name) == ["default", "east"] && counts.first { $0.name == "east" }?.records == 2, "\(counts)")
            // A grant brings the clearances, and no placement: the replica backfills.
            try await server.grant(analyst: "bob", compartment: "east", write: false)
            let granted = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: moved.cursor,
                                                    versions: [], access: moved.access?.cursor, pageLimit: 100, at: 6)
            findings.expect(granted.access?.clearances == [Clearance(compartment: "default", write: true), Clearance(compartment: "east", write: false)])
            findings.expect(granted.access?.home == "default", "the default compartment comes with the clearances")
            findings.expect(granted.access?.placements == [] && granted.versions.isEmpty, "\(String(describing: granted.access))")
        case .backfillsTheHistoryOfRecordsNewlyReadable:
            try await Self.compartmentedStore(server)
            let caughtUp = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: .start,
                                                     versions: [], access: .start, pageLimit: 100, at: 2)
            try await server.grant(analyst: "bob", compartment: "east", write: false)
            func backfill(_ analyst: String, _ laptop: ReplicaID, _ request: Backfill, limit: Int) async throws -> Exchange {
                try await server.exchange(analyst: analyst, requester: laptop, clientVector: VersionVector(), cursor: caughtUp.cursor, versions: [],
                                          access: caughtUp.access?.cursor, backfill: request, pageLimit: limit, at: 3)
            }
            // The east cell's two versions, older than bob's cursor, one page at a time.
            let first = try await backfill("bob", Self.bobsLaptop, Backfill(compartments: ["east"], records: []), limit: 1)
            findings.expect(first.versions.map(\.dot.counter) == [1] && first.more && first.backfilled == 1 && first.cursor == nil,
                            "\(first.versions.map(\.dot)) \(first.more) \(String(describing: first.backfilled))")
            findings.expect(first.compartments == [Placement(record: Self.secretCell, compartments: ["east"])])
            let last = try await backfill("bob", Self.bobsLaptop, Backfill(compartments: ["east"], records: [], after: first.backfilled ?? 0), limit: 1)
            findings.expect(last.versions.map(\.dot.counter) == [2] && !last.more && last.backfilled == 4,
                            "\(last.versions.map(\.dot)) \(last.more) \(String(describing: last.backfilled))")
            // By id: the records a move brought in.
            let byID = try await backfill("bob", Self.bobsLaptop, Backfill(compartments: [], records: [Self.openCell]), limit: 10)
            findings.expect(byID.versions.map(\.dot.counter) == [3, 4] && !byID.more && byID.backfilled == 4)
            // Never what the analyst may not read, however the request names it.
            let forged = try await backfill("carol", Self.carolsLaptop, Backfill(compartments: ["default"], records: [Self.openCell]), limit: 10)
            findings.expect(forged.versions.isEmpty && !forged.more && forged.backfilled == 4, "\(forged.versions.map(\.dot))")
            // A name the store lacks is passed over, as an unreadable one is.
            let unknown = try await backfill("bob", Self.bobsLaptop, Backfill(compartments: ["west"], records: []), limit: 10)
            findings.expect(unknown.versions.isEmpty && !unknown.more && unknown.backfilled == 4)
        case .keepsCompartmentsClearancesAndDefaultCompartments:
            findings.expect(try await server.clearances(analyst: "bob") == [ClearanceEntry(analyst: "bob", clearance: Clearance(compartment: "default", write: true))],
                            "a new analyst may write the default compartment")
            findings.expect(try await server.compartments().map(\.name) == ["default"])
            await findings.expectThrows(CompartmentError.invalidName("East")) { try await server.addCompartment("East", at: 1) }
            await findings.expectThrows(CompartmentError.exists("default")) { try await server.addCompartment("default", at: 1) }
            try await server.addCompartment("west", at: 1)
            try await server.addCompartment("east", at: 1)
            await findings.expectThrows(CompartmentError.exists("east")) { try await server.addCompartment("east", at: 2) }
            await findings.expectThrows(AnalystError.notFound("zoe")) { try await server.grant(analyst: "zoe", compartment: "east", write: true) }
            await findings.expectThrows(CompartmentError.notFound("south")) { try await server.grant(analyst: "bob", compartment: "south", write: true) }
            await findings.expectThrows(AnalystError.notFound("zoe")) { _ = try await server.clearances(analyst: "zoe") }
            await findings.expectThrows(CompartmentError.notFound("south")) { try await server.setHome(analyst: "bob", compartment: "south") }
            try await server.grant(analyst: "bob", compartment: "east", write: false)
            try await server.grant(analyst: "bob", compartment: "east", write: true)
            try await server.grant(analyst: "alice", compartment: "west", write: false)
            let bobs = try await server.clearances(analyst: "bob").map(\.clearance)
            findings.expect(bobs == [Clearance(compartment: "default", write: true), Clearance(compartment: "east", write: true)], "a grant replaces one held: \(bobs)")
            let all = try await server.clearances(analyst: nil)
            findings.expect(Array(all.prefix(3).map { "\($0.analyst) \($0.clearance.compartment)" }) == ["alice default", "alice west", "bob default"], "\(all.prefix(3))")
            // Bob's new records go to east once it is his default; his replica is told.
            let before = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), versions: [],
                                                   access: .start, pageLimit: 10, at: 2)
            try await server.setHome(analyst: "bob", compartment: "east")
            let after = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                                  versions: [Self.version(Self.bobsLaptop, 1, Self.openCell, value: .text("bob's"), author: "bob")],
                                                  access: before.access?.cursor, pageLimit: 10, at: 3)
            findings.expect(after.access?.clearances != nil && (after.access?.cursor.clearances ?? 0) > (before.access?.cursor.clearances ?? 0),
                            "a new default compartment is news to the analyst's replicas")
            findings.expect(try await server.compartments(of: Self.openCell) == ["east"])
            findings.expect(after.compartments == [Placement(record: Self.openCell, compartments: ["east"])], "the pusher learns where its record went")
            findings.expect(after.access?.home == "east")
            findings.expect(try await server.compartments().map { "\($0.name) \($0.records)" } == ["default 0", "east 1", "west 0"])
            findings.expect(try await server.compartments(of: Self.signal) == nil)
        case .givesNothingToAnAnalystWhoseDefaultClearanceWasRevoked:
            // One compartment only: the path a team that never made one takes.
            _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                          versions: [Self.version(Self.alicesLaptop, 1, Self.openCell, value: .text("open"), author: "alice")],
                                          pageLimit: 10, at: 1)
            let open = try await Self.pulls(server, "bob", Self.bobsLaptop)
            findings.expect(open.byFeed.versions.count == 1 && open.byVector.versions.count == 1 && open.byFeed.compartments.isEmpty)
            findings.expect(try await server.revokeClearance(analyst: "bob", compartment: Compartment.defaultName))
            let closed = try await Self.pulls(server, "bob", Self.bobsLaptop)
            findings.expect(closed.byFeed.versions.isEmpty && closed.byVector.versions.isEmpty && !closed.byFeed.more && closed.byFeed.cursor?.seq == 1)
            findings.expect(closed.byFeed.access?.clearances == [], "\(String(describing: closed.byFeed.access))")
            let before = try await server.canonicalDump()
            await findings.expectThrows(AccessRefusal.notCleared(analyst: "bob", records: [Self.signal], compartments: [])) {
                _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.bobsLaptop, 1, Self.signal, kind: "signal", value: .text("new"), author: "bob")],
                                              pageLimit: 10, at: 3)
            }
            // Nor may anyone place a record in a compartment the store lacks.
            await findings.expectThrows(AccessRefusal.notCleared(analyst: "alice", records: [Self.signal], compartments: ["east"])) {
                _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.alicesLaptop, 2, Self.signal, kind: "signal", value: .text("new"), author: "alice")],
                                              homes: [Placement(record: Self.signal, compartments: ["east"])], pageLimit: 10, at: 4)
            }
            findings.expect(try await server.canonicalDump() == before, "nothing of a refused push is stored")
        case .reachesNothingWithAForgedCursorVectorOrBackfill:
            try await Self.compartmentedStore(server)
            let alices = try await server.exchange(analyst: "alice", requester: Self.alicesDesktop, clientVector: VersionVector(), cursor: .start,
                                                   versions: [], access: .start, pageLimit: 100, at: 2)
            // Bob's first exchange binds his laptop; nothing after it may change what is stored.
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), versions: [], pageLimit: 1, at: 2)
            let before = try await server.canonicalDump()
            // Alice's cursor, a vector claiming nothing, a backfill of east: bob gets no east version.
            for (cursor, backfill) in [(alices.cursor, nil), (nil, nil), (nil, Backfill(compartments: ["east"], records: [Self.secretCell]))] as [(FeedCursor?, Backfill?)] {
                let forged = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), cursor: cursor ?? .start,
                                                       versions: [], access: .start, backfill: backfill, pageLimit: 100, at: 3)
                findings.expect(!forged.versions.contains { $0.record == Self.secretCell }, "\(String(describing: cursor)) \(String(describing: backfill))")
                findings.expect(!forged.compartments.contains { $0.record == Self.secretCell })
            }
            let byVector = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector([Self.alicesLaptop: 0]),
                                                     versions: [], access: AccessCursor(clearances: 0, placements: 0), pageLimit: 100, at: 3)
            findings.expect(!byVector.versions.contains { $0.record == Self.secretCell })
            // Bob may not withdraw alice's dots (which would let her counter skip her own writes).
            await findings.expectThrows(ExchangeRefusal.replicaOwnedByOther(replica: Self.alicesLaptop, owner: "alice")) {
                _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), versions: [],
                                              withdrawn: [Dot(replica: Self.alicesLaptop, counter: 5)], pageLimit: 100, at: 3)
            }
            // A home for a record the push does not write is malformed.
            await findings.expectThrows(HomeError(record: Self.secretCell)) {
                _ = try await server.exchange(analyst: "alice", requester: Self.alicesLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.alicesLaptop, 5, Self.signal, value: .text("x"), author: "alice")],
                                              homes: [Placement(record: Self.secretCell, compartments: ["default"])], pageLimit: 100, at: 3)
            }
            // Bob pushing his own write to the secret cell learns nothing of where it stands.
            await findings.expectThrows(AccessRefusal.notCleared(analyst: "bob", records: [Self.secretCell], compartments: [])) {
                _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(),
                                              versions: [Self.version(Self.bobsLaptop, 1, Self.secretCell, value: .text("x"), author: "bob")],
                                              access: .start, pageLimit: 100, at: 3)
            }
            findings.expect(try await server.canonicalDump() == before, "nothing of a refused or forged request is stored")
        case .placesRecordsAlikeUnderConcurrentPushesAndMoves:
            try await Self.concurrentPlacements([server], &findings)
        case .passesOverDotsTheirOwnerSetAside:
            try await runWithdrawn(server, &findings)
        default:
            findings.expect(false, "\(self) is not a part about need-to-know")
        }
    }

    /// Writes set aside by their replica's owner (made where a clearance went before they were
    /// pushed) are passed over: the replica's later writes are taken, and a version sent at a
    /// dot set aside is a reused dot. Only the owner sets its replica's writes aside.
    private func runWithdrawn<Store: InspectableStorage>(_ server: Store, _ findings: inout Findings) async throws {
        let alice = Self.alicesLaptop
        _ = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                      versions: [Self.version(alice, 1, author: "alice")], pageLimit: 10, at: 1)
        await findings.expectThrows(VersionRefusal.counterGap(replica: alice, have: 1, got: 4)) {
            _ = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                          versions: [Self.version(alice, 4, author: "alice")], pageLimit: 10, at: 2)
        }
        let taken = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                              versions: [Self.version(alice, 4, author: "alice")], withdrawn: [Dot(replica: alice, counter: 2), Dot(replica: alice, counter: 3)],
                                              pageLimit: 10, at: 2)
        findings.expect(taken.report.new == 1 && taken.vector[alice] == 4, "\(taken.report) \(taken.vector)")
        // Set aside with nothing to push after them: the counter passes over them all the same.
        let passed = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(), versions: [],
                                               withdrawn: [Dot(replica: alice, counter: 5)], pageLimit: 10, at: 3)
        findings.expect(passed.vector[alice] == 5, "\(passed.vector)")
        await findings.expectCode(.dotReused) {
            _ = try await server.exchange(analyst: "alice", requester: alice, clientVector: VersionVector(),
                                          versions: [Self.version(alice, 2, author: "alice")], pageLimit: 10, at: 4)
        }
        let before = try await server.canonicalDump()
        await findings.expectThrows(ExchangeRefusal.replicaOwnedByOther(replica: alice, owner: "alice")) {
            _ = try await server.exchange(analyst: "bob", requester: Self.bobsLaptop, clientVector: VersionVector(), versions: [],
                                          withdrawn: [Dot(replica: alice, counter: 6)], pageLimit: 10, at: 5)
        }
        findings.expect(try await server.canonicalDump() == before, "another analyst's set-aside changed nothing")
        let everything = try await server.exchange(analyst: "bob", clientVector: VersionVector(), versions: [], pageLimit: 100, at: 6)
        findings.expect(everything.versions.map(\.dot.counter) == [1, 4])
    }
}

extension ServerStorageContract {
    /// Four writers push cells and signals naming cells (by number or by id, made or not yet) while cells are moved between
    /// three compartments and a reader cleared for all of them follows the placements, all at
    /// once (on PostgreSQL, through every store in `servers`: several instances on one
    /// database). Afterwards every signal is in every compartment of every cell it names or
    /// carrying a number it names, and the placements the reader followed are exactly the log read afresh: no
    /// placement was lost to a race, nor passed by a cursor.
    public static func checkConcurrentPlacements<Store: InspectableStorage>(on servers: [Store]) async throws {
        var findings = Findings()
        for name in ["alice", "bob", "carol"] + (0..<6).map({ "writer\($0)" }) + (0..<3).map({ "reader\($0)" }) {
            try await servers[0].addAnalyst(name: name, tokenHash: "hash-of-\(name)", at: 0)
        }
        try await concurrentPlacements(servers, &findings)
        if !findings.failures.isEmpty { throw Violation(part: "concurrent placements", failures: findings.failures) }
    }

    static func concurrentPlacements<Store: InspectableStorage>(_ servers: [Store], _ findings: inout Findings) async throws {
        let compartments = ["default", "east", "west"]
        let server = servers[0]
        for name in compartments.dropFirst() { try await server.addCompartment(name, at: 0) }
        let writers = (0..<4).map { "writer\($0)" }
        for writer in writers + ["reader0"] {
            for name in compartments.dropFirst() { try await server.grant(analyst: writer, compartment: name, write: writer != "reader0") }
        }
        // Six cells numbered 1 to 6 in default; writers add cells sharing numbers 1 to 8.
        let first = (1...6).flatMap { number in
            [version(laptop(0), UInt64(number), cell(number), field: "number", value: .int(Int64(number)), author: "writer0")]
        }
        _ = try await server.exchange(analyst: "writer0", requester: laptop(0), clientVector: VersionVector(), versions: first, pageLimit: 1, at: 1)
        let outcome = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for (index, writer) in writers.enumerated() {
                let store = servers[index % servers.count]
                group.addTask {
                    var random = SplitMix64(seed: UInt64(index) + 11)
                    var counter: UInt64 = index == 0 ? 6 : 0
                    var outcome = Outcome()
                    for step in 0..<10 {
                        var versions: [Version] = [], homes: [Placement] = []
                        func next() -> UInt64 { counter += 1; return counter }
                        // By number (1 to 8), or by id: a first cell, or one a writer makes (perhaps later).
                        let tags = Set((0..<2).map { _ -> String in
                            switch Int.random(in: 0..<3, using: &random) {
                            case 0: return cell(Int.random(in: 1...6, using: &random)).rawValue
                            case 1: return cell(1_000 + Int.random(in: 0..<4, using: &random) * 100 + Int.random(in: 0..<4, using: &random) * 3).rawValue
                            default: return String(Int.random(in: 1...8, using: &random))
                            }
                        }).sorted()
                        let signal = RecordID(String(format: "%08x-5555-4555-8555-555555555555", index * 100 + step))!
                        versions.append(version(laptop(index), next(), signal, kind: "signal", field: "cells", value: .list(tags), author: writer))
                        outcome.tags[signal] = tags
                        if step % 3 == 0 {
                            let made = cell(1_000 + index * 100 + step), number = Int64.random(in: 1...8, using: &random)
                            versions.append(version(laptop(index), next(), made, field: "number", value: .int(number), author: writer))
                            homes.append(Placement(record: made, compartments: [compartments[Int.random(in: 0..<3, using: &random)]]))
                            outcome.numbers[made] = number
                        }
                        _ = try await store.exchange(analyst: writer, requester: laptop(index), clientVector: VersionVector(), versions: versions,
                                                     homes: homes, pageLimit: 1, at: Int64(step))
                    }
                    return outcome
                }
            }
            group.addTask {
                var random = SplitMix64(seed: 99)
                for step in 0..<24 {
                    let store = servers[step % servers.count]
                    try await store.move(record: cell(Int.random(in: 1...6, using: &random)), to: compartments[Int.random(in: 0..<3, using: &random)],
                                         by: nil, at: Int64(step))
                }
                return Outcome()
            }
            group.addTask {
                var outcome = Outcome()
                var cursor = AccessCursor.start
                for step in 0..<40 {
                    let store = servers[step % servers.count]
                    let answer = try await store.exchange(analyst: "reader0", requester: laptop(9), clientVector: VersionVector(),
                                                          versions: [], access: cursor, pageLimit: 1, at: Int64(step))
                    if let update = answer.access {
                        outcome.followed += update.placements
                        cursor = update.cursor
                    }
                }
                outcome.cursor = cursor
                return outcome
            }
            var all = Outcome()
            for try await part in group {
                all.tags.merge(part.tags) { $1 }
                all.numbers.merge(part.numbers) { $1 }
                all.followed += part.followed
                all.cursor = part.cursor ?? all.cursor
            }
            return all
        }
        // The reader follows on to the end; then a fresh cursor reads the whole log.
        var followed = outcome.followed, cursor = outcome.cursor ?? .start
        func follow(from start: AccessCursor) async throws -> (placements: [Placement], cursor: AccessCursor) {
            var placements: [Placement] = [], cursor = start
            while true {
                let answer = try await server.exchange(analyst: "reader0", requester: laptop(9), clientVector: VersionVector(),
                                                       versions: [], access: cursor, pageLimit: 1, at: 99)
                guard let update = answer.access else { return (placements, cursor) }
                placements += update.placements
                cursor = update.cursor
                if !update.more && update.placements.isEmpty { return (placements, cursor) }
            }
        }
        let rest = try await follow(from: cursor)
        followed += rest.placements
        cursor = rest.cursor
        let fresh = try await follow(from: AccessCursor(clearances: cursor.clearances, placements: 0))
        findings.expect(!fresh.placements.isEmpty, "the moves placed records")
        findings.expect(followed == fresh.placements, "a reader following during the pushes and moves saw \(followed.count) placements, the log holds \(fresh.placements.count)")
        // Every signal is in every compartment of every cell carrying a number it names.
        var numbers = outcome.numbers
        for number in 1...6 { numbers[cell(number)] = Int64(number) }
        var cellCompartments: [RecordID: Set<String>] = [:]
        for cell in numbers.keys { cellCompartments[cell] = Set(try await server.compartments(of: cell) ?? []) }
        for (signal, tags) in outcome.tags.sorted(by: { $0.key < $1.key }) {
            let held = Set(try await server.compartments(of: signal) ?? [])
            let named = numbers.filter { tags.contains(String($0.value)) || tags.contains($0.key.rawValue) }.keys
            let needed = named.reduce(into: Set<String>()) { $0.formUnion(cellCompartments[$1] ?? []) }
            findings.expect(needed.isSubset(of: held), "signal \(signal) tagged \(tags) is in \(held.sorted()), its cells in \(needed.sorted())")
        }
    }

    private static func cell(_ index: Int) -> RecordID { RecordID(String(format: "%08x-cccc-4ccc-8ccc-cccccccccccc", index))! }
    private static func laptop(_ index: Int) -> ReplicaID { ReplicaID(String(format: "%08x-eeee-4eee-8eee-eeeeeeeeeeee", index + 1))! }

    /// What one task of ``concurrentPlacements(_:_:)`` did or saw.
    private struct Outcome: Sendable {
        /// Each signal's cells, by number or by id, as pushed.
        var tags: [RecordID: [String]] = [:]
        var numbers: [RecordID: Int64] = [:]
        var followed: [Placement] = []
        var cursor: AccessCursor?
    }
}
