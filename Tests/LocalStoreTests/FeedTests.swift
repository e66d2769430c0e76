import Foundation
import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import LocalStore
import Testing

/// The server's feed: every stored version numbered in arrival order, read after a cursor.
@Suite struct FeedTests {
    static let alice = ReplicaID("a1a1a1a1-0000-4000-8000-000000000001")!
    static let bob = ReplicaID("b0b0b0b0-0000-4000-8000-000000000002")!

    /// A server holding, in this order, `aliceWrites` writes of alice's and `bobWrites` of bob's.
    static func server(aliceWrites: Int, bobWrites: Int) async throws -> SQLiteServerStore {
        let server = try makeEmptyTestServerStore()
        for (name, id, count) in [("alice", alice, aliceWrites), ("bob", bob, bobWrites)] {
            try server.addAnalyst(name: name, tokenHash: "hash-\(name)", at: 0)
            let replica = try Replica.inMemory(analyst: name, id: id)
            let versions = try (0..<count).flatMap { index in
                try replica.write([change("title", .text("\(name) \(index)"))], at: Int64(index))
            }
            _ = try await server.exchange(analyst: name, clientVector: VersionVector(), versions: versions, pageLimit: 1, at: 0)
        }
        return server
    }

    static func page(_ server: SQLiteServerStore, after cursor: FeedCursor, skipping: Set<ReplicaID> = [], limit: Int) throws -> (versions: [Version], more: Bool, cursor: FeedCursor) {
        let page = try server.read { db in try ServerFeed.page(db, after: cursor, skipping: skipping, limit: limit) }
        return (page.versions, page.more, try #require(page.cursor, "a feed page always reaches a position"))
    }

    @Test func versionsArriveInOrderAndEachCursorCarriesTheChainOfEveryDotBeforeIt() async throws {
        let server = try await Self.server(aliceWrites: 3, bobWrites: 2)
        let all = try Self.page(server, after: .start, limit: 10)
        let dots = [Dot(replica: Self.alice, counter: 1), Dot(replica: Self.alice, counter: 2), Dot(replica: Self.alice, counter: 3),
                    Dot(replica: Self.bob, counter: 1), Dot(replica: Self.bob, counter: 2)]
        #expect(all.versions.map(\.dot) == dots)
        #expect(!all.more)
        let expected = dots.reduce(FeedCursor.start) { $0.advanced(by: $1) }
        #expect(all.cursor == expected && expected.seq == 5)

        // Pages of two walk the same feed, each continuing from the cursor of the one before.
        var cursor = FeedCursor.start, walked: [Dot] = [], pages = 0
        while true {
            let page = try Self.page(server, after: cursor, limit: 2)
            walked += page.versions.map(\.dot)
            cursor = page.cursor
            pages += 1
            if !page.more { break }
        }
        #expect(walked == dots && cursor == expected && pages == 3)
    }

    @Test func theRequestersOwnVersionsAreLeftOutButTheCursorCoversThem() async throws {
        let server = try await Self.server(aliceWrites: 3, bobWrites: 2)
        let head = try Self.page(server, after: .start, limit: 10).cursor
        let page = try Self.page(server, after: .start, skipping: [Self.alice], limit: 1)
        #expect(page.versions.map(\.dot) == [Dot(replica: Self.bob, counter: 1)])
        #expect(page.more && page.cursor.seq == 4, "alice's three entries are passed over, not sent")
        let rest = try Self.page(server, after: page.cursor, skipping: [Self.alice], limit: 1)
        #expect(rest.versions.map(\.dot) == [Dot(replica: Self.bob, counter: 2)] && !rest.more && rest.cursor == head)
        // Skipped entries at the end still move the cursor to the head.
        let onlyBob = try Self.page(server, after: .start, skipping: [Self.bob], limit: 10)
        #expect(onlyBob.versions.count == 3 && onlyBob.cursor == head)
    }

    @Test func anExchangeWithACursorAnswersTheFeedAfterItAndOnlyTheNamedCounters() async throws {
        let server = try await Self.server(aliceWrites: 3, bobWrites: 2)
        let answer = try await server.exchange(analyst: "bob", requester: Self.bob, clientVector: VersionVector([Self.bob: 2]),
                                               cursor: .start, versions: [], pageLimit: 10, at: 0)
        #expect(answer.versions.map(\.dot.replica) == [Self.alice, Self.alice, Self.alice])
        #expect(answer.vector == VersionVector([Self.bob: 2]), "alice's counter is not the requester's business")
        #expect(answer.cursor?.seq == 5 && !answer.more)
        let again = try await server.exchange(analyst: "bob", requester: Self.bob, clientVector: VersionVector([Self.bob: 2]),
                                              cursor: answer.cursor, versions: [], pageLimit: 10, at: 0)
        #expect(again.versions.isEmpty && !again.more && again.cursor == answer.cursor)
    }

    @Test func aVectorPullEndsWithTheFeedsHeadAsItsCursor() async throws {
        let server = try await Self.server(aliceWrites: 3, bobWrites: 2)
        let head = try Self.page(server, after: .start, limit: 10).cursor
        let first = try await server.exchange(analyst: "bob", clientVector: VersionVector([Self.bob: 2]), versions: [], pageLimit: 2, at: 0)
        #expect(first.more && first.cursor == nil, "a cursor is given only once the whole pull is done")
        let last = try await server.exchange(analyst: "bob", clientVector: VersionVector([Self.bob: 2, Self.alice: 2]), versions: [], pageLimit: 2, at: 0)
        #expect(!last.more && last.cursor == head)
    }

    @Test func aCursorOfAnotherHistoryIsRefusedWithAnEmptyPage() async throws {
        let original = try await Self.server(aliceWrites: 3, bobWrites: 2)
        let other = try await Self.server(aliceWrites: 2, bobWrites: 3)
        let head = try Self.page(original, after: .start, limit: 10).cursor
        #expect(try Self.page(other, after: .start, limit: 10).cursor.seq == head.seq, "same length, different dots")
        let forged = [head, FeedCursor(seq: 99, chain: head.chain), FeedCursor(seq: 0, chain: 7), FeedCursor(seq: 3, chain: 0)]
        for cursor in forged {
            let answer = try await other.exchange(analyst: "bob", clientVector: VersionVector(), cursor: cursor, versions: [], pageLimit: 10, at: 0)
            #expect(answer.cursor == nil && answer.versions.isEmpty && answer.more, "\(cursor)")
        }
        let fromStart = try await other.exchange(analyst: "bob", clientVector: VersionVector(), cursor: .start, versions: [], pageLimit: 10, at: 0)
        #expect(fromStart.versions.count == 5 && fromStart.cursor != nil)
    }

    @Test func everyWayOfStoringVersionsOnAServerEntersTheFeed() async throws {
        let server = try makeEmptyTestServerStore()
        try server.addAnalyst(name: "alice", tokenHash: "hash-alice", at: 0)
        let replica = try Replica.inMemory(analyst: "alice", id: Self.alice)
        let versions = try replica.write([change("title", .text("a")), change("tier", .text("Tier 2"))], at: 1)
        let key = try replica.signingKey()
        _ = try await server.exchange(analyst: "alice", requester: replica.id, clientVector: VersionVector(), versions: versions,
                                      publicKey: key.publicKey, pageLimit: 1, at: 0)
        // A bundle brought to the office by a courier.
        let carried = try replica.write([change("title", .text("b"))], at: 2)
        _ = try await server.storeCarried(carried, signatures: key.signRanges(carried), at: 0)
        #expect(try Self.page(server, after: .start, limit: 10).versions == versions + carried)
        // A replica's store keeps no feed.
        let other = try Replica.inMemory(analyst: "bob")
        try other.store.apply(versions)
        let tables = try other.store.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name = 'feed'") }
        #expect(tables.isEmpty)
    }

    @Test func aServerFileFromBeforeTheFeedUpgradesWithEveryVersionInIt() async throws {
        let folder = TemporaryFolder()
        let path = folder.path("server.sqlite")
        let server = try SQLiteServerStore.open(path: path)
        for (name, id) in [("alice", Self.alice), ("bob", Self.bob)] {
            try server.addAnalyst(name: name, tokenHash: "hash-\(name)", at: 0)
            let replica = try Replica.inMemory(analyst: name, id: id)
            let versions = try replica.write([change("title", .text(name)), change("tier", .text("Tier 1"))], at: 1)
            _ = try await server.exchange(analyst: name, clientVector: VersionVector(), versions: versions, pageLimit: 1, at: 0)
        }
        // Make it look like a file written before the step existed.
        try await server.writer.write { db in
            try db.execute(sql: "DROP TABLE feed")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v3-server-feed'")
        }
        try server.close()
        let reopened = try SQLiteServerStore.open(path: path)
        let page = try Self.page(reopened, after: .start, limit: 10)
        let byReplicaRow = try reopened.read { db in
            try Row.fetchAll(db, sql: "SELECT replica.uuid, version.counter FROM version JOIN replica ON replica.id = version.replica ORDER BY version.replica, version.counter")
                .map { Dot(replica: ReplicaID($0[0] as String)!, counter: UInt64($0[1] as Int64)) }
        }
        #expect(page.versions.map(\.dot) == byReplicaRow && byReplicaRow.count == 4)
        let expected = byReplicaRow.reduce(FeedCursor.start) { $0.advanced(by: $1) }
        #expect(page.cursor == expected)
    }

    @Test func cursorsSurviveTheirTextAndJSONForms() throws {
        for cursor in [FeedCursor.start, FeedCursor(seq: 1, chain: 1), FeedCursor(seq: .max, chain: .max)] {
            #expect(FeedCursor(cursor.description) == cursor)
            #expect(try JSONDecoder().decode(FeedCursor.self, from: JSONEncoder().encode(cursor)) == cursor)
        }
        for text in ["", "1", "x:1", "1:xyz", "-1:0", "1:2:3"] { #expect(FeedCursor(text) == nil, "\(text)") }
    }
}
