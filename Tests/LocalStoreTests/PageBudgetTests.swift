import GRDB
@testable import LocalStore
import SyncModel
import SyncProtocol
import LocalStore
import Testing

/// Sync pages are bounded by size as well as count, and paging by size loses nothing.
@Suite struct PageBudgetTests {
    static let alice = ReplicaID("a1a1a1a1-0000-4000-8000-000000000001")!

    /// A server holding `count` of alice's writes, each a text of `length` characters on its own record.
    static func server(count: Int, length: Int) async throws -> (SQLiteServerStore, [Version]) {
        let server = try makeEmptyTestServerStore()
        try server.addAnalyst(name: "alice", tokenHash: "hash-alice", at: 0)
        let replica = try Replica.inMemory(analyst: "alice", id: alice)
        let versions = try (0..<count).flatMap { index in
            try replica.write([change("title", .text(String(repeating: "\(index % 10)", count: length)), record: .random())], at: Int64(index))
        }
        _ = try await server.exchange(analyst: "alice", clientVector: VersionVector(), versions: versions, pageLimit: 1, at: 0)
        return (server, versions)
    }

    static func size(_ version: Version) -> Int {
        PageBudget.size(context: version.context, value: StoreCoding.encode(version.value))
    }

    /// Every page within the budget unless it holds a single version; all pages together hold
    /// exactly `expected`, in order.
    static func check(_ pages: [[Version]], expected: [Version], budget: Int) {
        #expect(pages.flatMap { $0 } == expected)
        for page in pages {
            #expect(!page.isEmpty)
            #expect(page.count == 1 || page.map(size).reduce(0, +) <= budget, "a page of \(page.count) is over \(budget) bytes")
        }
    }

    @Test(arguments: [10_000, 100])
    func feedPagesStopAtTheBudgetAndLoseNothing(budget: Int) async throws {
        let (server, written) = try await Self.server(count: 12, length: 3_000)
        var pages: [[Version]] = []
        var cursor = FeedCursor.start
        while true {
            let page = try server.read { db in
                try ServerFeed.page(db, after: cursor, skipping: [], limit: 1_000, budget: PageBudget(maxBytes: budget))
            }
            pages.append(page.versions)
            cursor = try #require(page.cursor)
            if !page.more { break }
            #expect(pages.count <= 12, "paging does not advance")
            if pages.count > 12 { break }
        }
        Self.check(pages, expected: written, budget: budget)
        // 3,000-character values: three fit in 10,000 bytes, none but the first in 100.
        #expect(pages.map(\.count).max() == (budget == 100 ? 1 : 3))
    }

    @Test(arguments: [10_000, 100])
    func vectorPagesStopAtTheBudgetAndLoseNothing(budget: Int) async throws {
        let (server, written) = try await Self.server(count: 12, length: 3_000)
        var pages: [[Version]] = []
        var vector = VersionVector()
        while true {
            let page = try server.read { db in
                try VersionTable.versions(db, notCoveredBy: vector, limit: 1_000, budget: PageBudget(maxBytes: budget))
            }
            pages.append(page.versions)
            for version in page.versions { vector.add(version.dot) }
            if !page.more { break }
            #expect(pages.count <= 12, "paging does not advance")
            if pages.count > 12 { break }
        }
        Self.check(pages, expected: written, budget: budget)
        #expect(pages.map(\.count).max() == (budget == 100 ? 1 : 3))
    }
}
