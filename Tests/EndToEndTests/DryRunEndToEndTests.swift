import Foundation
import LinkEmulation
import Testing
import TestSupport

/// `sync --dry-run` with the real binaries: the estimate, then the sync it predicts, compared in
/// versions and bytes each way.
@Suite(.serialized, .ownThreads) struct DryRunEndToEndTests {
    /// `count` edits across cells 1...`cells` (made first), on `client`.
    static func work(_ client: Client, cells: ClosedRange<Int>, edits: Int, tag: String) throws {
        for number in cells { try client.ok("cell", "create", "--number", "\(number)", "--title", "Cell \(number) of \(tag)") }
        for edit in 0..<edits {
            let number = cells.lowerBound + edit % cells.count
            try client.ok("cell", "set", "\(number)", edit % 2 == 0 ? "trend" : "assessment", "\(tag) edit \(edit): the situation as it reads now")
        }
    }

    @Test func theEstimateIsWithinATenthOfTheExchangeItPredictsAndStoresNothing() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice"), bob = try server.client("bob")
        try Self.work(alice, cells: 1...5, edits: 40, tag: "alice")
        try alice.ok("signal", "add", "--title", "Summit", "--date", "2026-02-18", "--cell", "1")
        try alice.ok("sync")
        try bob.ok("sync")
        try Self.work(bob, cells: 6...8, edits: 12, tag: "bob")
        try alice.ok("cell", "set", "1", "trend", "late change")

        for client in [bob, alice] {
            let pendingBefore = try #require(try client.json("status") as? [String: Any])["pending"] as? Int
            let estimate = try #require(try client.json("sync", "--dry-run") as? [String: Any])
            let again = try #require(try client.json("sync", "--dry-run") as? [String: Any])
            #expect(NSDictionary(dictionary: estimate) == NSDictionary(dictionary: again), "a dry run changes nothing a second one would see")
            #expect(try #require(try client.json("status") as? [String: Any])["pending"] as? Int == pendingBefore)
            let synced = try #require(try client.json("sync") as? [String: Any])
            let send = try #require(estimate["send"] as? [String: Any]), receive = try #require(estimate["receive"] as? [String: Any])
            #expect(send["versions"] as? Int == synced["sent"] as? Int, "\(estimate) against \(synced)")
            #expect(receive["versions"] as? Int == synced["received"] as? Int, "\(estimate) against \(synced)")
            #expect(estimate["requests"] as? Int == synced["requests"] as? Int, "\(estimate) against \(synced)")
            for (predicted, actual) in [(send["bytes"] as? Int, synced["sentBytes"] as? Int), (receive["bytes"] as? Int, synced["receivedBytes"] as? Int)] {
                let (p, a) = (try #require(predicted), try #require(actual))
                print("dry run: predicted \(p) bytes, the sync moved \(a)")
                #expect(abs(Double(p - a)) <= 0.1 * Double(a), "predicted \(p) bytes, the sync moved \(a)")
            }
        }
        // A measured link gives a time; the text says what it is
        let text = try bob.ok("sync", "--dry-run")
        #expect(text.hasPrefix("Dry run with \(server.url): nothing was sent or stored.\n  to send     0 versions, "), "\(text)")
        #expect(text.contains(" round trip, "), "\(text)")
    }

    @Test func aFreshReplicaIsToldItsFirstPullAndABadServerIsRefused() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace)
        defer { server.stop() }
        let alice = try server.client("alice")
        try Self.work(alice, cells: 1...3, edits: 9, tag: "alice")
        try alice.ok("sync")
        let carol = try server.client("carol")
        let estimate = try #require(try carol.json("sync", "--dry-run") as? [String: Any])
        #expect((estimate["receive"] as? [String: Any])?["versions"] as? Int == 15)
        #expect(estimate["seconds"] == nil, "no link measured yet")
        #expect(try carol.ok("sync", "--dry-run").contains("no link speed measured yet: the next sync measures it"))
        let synced = try #require(try carol.json("sync") as? [String: Any])
        #expect(synced["received"] as? Int == 15)
        let refused = try carol.fails("sync", "--dry-run", "--server", "ftp://\(server.url.dropFirst(7))")
        #expect(refused.stderr.contains("http://"), "\(refused.stderr)")
    }

    @Test func overASlowLinkTheEstimateCountsTheBytesGzippedAndIsWithinATenthOfTheSync() throws {
        for seed in testSeeds(count: 1, base: 47_400) {
            print("DryRunEndToEndTests seed \(seed) (SYNC_TEST_SEED=\(seed) reruns it), profile: \(PoorLinkEndToEndTests.slowAndWhole)")
            var random = SplitMix64(seed: seed)
            let workspace = try Workspace()
            let server = try ServerProcess(workspace: workspace)
            defer { server.stop() }
            let alice = try server.client("alice"), carol = try server.client("carol")
            for number in 1...10 {
                try alice.ok("cell", "create", "--number", "\(number)", "--title", "Cell \(number)", "--field",
                             "assessment=\(PoorLinkEndToEndTests.prose(3_000, &random))")
            }
            try alice.ok("sync")
            let relay = try ThrottlingRelay(to: server.port, profile: PoorLinkEndToEndTests.slowAndWhole, seed: seed)
            defer { relay.stop() }
            // The first sync over the link measures it; then both write, carol prose of her own.
            try carol.ok("sync", "--server", relay.url)
            for edit in 0..<12 {
                try alice.ok("cell", "set", "\(1 + edit % 10)", "crosswinds", PoorLinkEndToEndTests.prose(1_500, &random))
                try carol.ok("cell", "set", "\(1 + edit % 10)", "strategicLogic", PoorLinkEndToEndTests.prose(1_500, &random))
            }
            try alice.ok("sync")
            let estimate = try #require(try carol.json("sync", "--dry-run", "--server", relay.url) as? [String: Any])
            let synced = try #require(try carol.json("sync", "--server", relay.url) as? [String: Any])
            let send = try #require(estimate["send"] as? [String: Any]), receive = try #require(estimate["receive"] as? [String: Any])
            #expect(send["versions"] as? Int == 12 && synced["sent"] as? Int == 12, "\(estimate) against \(synced)")
            #expect(receive["versions"] as? Int == 12 && synced["received"] as? Int == 12, "\(estimate) against \(synced)")
            let wire = try #require(synced["sentBytes"] as? Int) + (try #require(synced["receivedBytes"] as? Int))
            let plain = try #require(synced["uncompressedBytes"] as? Int)
            #expect(plain * 10 > wire * 13, "the sync went gzipped: \(wire) bytes for \(plain)")
            for (predicted, actual) in [(send["bytes"] as? Int, synced["sentBytes"] as? Int), (receive["bytes"] as? Int, synced["receivedBytes"] as? Int)] {
                let (p, a) = (try #require(predicted), try #require(actual))
                print("seed \(seed): dry run over the slow link predicted \(p) bytes, the sync moved \(a) (\(plain) before gzip, both ways)")
                #expect(abs(Double(p - a)) <= 0.1 * Double(a), "predicted \(p) bytes, the sync moved \(a)")
            }
        }
    }
}
