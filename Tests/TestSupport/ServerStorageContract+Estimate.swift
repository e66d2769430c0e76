import Foundation
import SyncModel
import SyncProtocol

/// The contract's part about estimates (`POST /v1/estimate`): the pull counted as the sync
/// would answer it, filtered as a pull is, with nothing stored.
extension ServerStorageContract {
    func runEstimate<Store: InspectableStorage>(_ server: Store, _ findings: inout Findings) async throws {
        try await Self.compartmentedStore(server)
        let before = try await server.canonicalDump()
        let size = { (answer: SyncResponse) in BinaryWire.encode(answer).count }
        // Bob, cleared for default only, from the feed's start, one version a page: cell 8's two
        let request = SyncRequest(replica: Self.bobsLaptop, vector: VersionVector(), cursor: .start, versions: [], pageLimit: 1)
        let bob = try await server.estimate(request, analyst: "bob", defaultPageSize: 10, maxPageSize: 10, at: 5, encoded: size)
        findings.expect(bob.versions == 2 && bob.answers == 2 && !bob.cursorRefused, "\(bob)")
        findings.expect(try await server.canonicalDump() == before, "an estimate stores nothing and binds no replica")
        // The answers the real pull gets, page by page (it binds bob's laptop, so after the check)
        var answered = 0
        var cursor = FeedCursor.start
        for _ in 0..<4 {
            let page = try await server.answer(SyncRequest(replica: Self.bobsLaptop, vector: VersionVector(), cursor: cursor, versions: [], pageLimit: 1),
                                               analyst: "bob", defaultPageSize: 10, maxPageSize: 10, at: 6)
            answered += size(page.response)
            cursor = page.response.cursor ?? cursor
            if !page.response.more { break }
        }
        findings.expect(bob.bytes == answered, "the estimate's bytes are the answers' (\(bob.bytes) against \(answered))")
        // Alice, cleared for both, by vector: all four in one page
        let alice = try await server.estimate(SyncRequest(replica: Self.alicesDesktop, vector: VersionVector(), versions: []), analyst: "alice",
                                              defaultPageSize: 10, maxPageSize: 10, at: 5, encoded: size)
        findings.expect(alice.versions == 4 && alice.answers == 1, "\(alice)")
        // Carol, cleared for east alone: the secret cell only
        let carol = try await server.estimate(SyncRequest(replica: Self.carolsLaptop, vector: VersionVector(), cursor: .start, versions: []),
                                              analyst: "carol", defaultPageSize: 10, maxPageSize: 10, at: 5, encoded: size)
        findings.expect(carol.versions == 2, "\(carol)")
        // A cursor of another feed is said, not sized
        let foreign = try await server.estimate(SyncRequest(replica: Self.carolsLaptop, vector: VersionVector(), cursor: FeedCursor(seq: 3, chain: 99), versions: []),
                                                analyst: "carol", defaultPageSize: 10, maxPageSize: 10, at: 5, encoded: size)
        findings.expect(foreign.cursorRefused && foreign.versions == 0)
        // A request that pushes is refused before anything is read
        let pushing = SyncRequest(replica: Self.bobsLaptop, vector: VersionVector(), cursor: .start,
                                  versions: [Self.version(Self.bobsLaptop, 1, Self.openCell, value: .text("x"), author: "bob")])
        await findings.expectCode(.malformedBody) {
            _ = try await server.estimate(pushing, analyst: "bob", defaultPageSize: 10, maxPageSize: 10, at: 5, encoded: size)
        }
    }
}
