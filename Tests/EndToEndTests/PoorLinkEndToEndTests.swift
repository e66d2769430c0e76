import Foundation
import LinkEmulation
import Testing
import TestSupport

/// The real binaries over an emulated satellite link (``ThrottlingRelay``: this kernel has no
/// `netem`), syncing as an analyst would: run `sync` again when it fails.
@Suite(.serialized, .ownThreads) struct PoorLinkEndToEndTests {
    /// 64 kbit/s each way, 600 ms round trip, a cut every 30–120 s at a random byte. At 64 kbit/s
    /// 30–120 s is 240–960 KB; a day's work here is about 1/160 of that, so the cut interval is
    /// scaled with it (every 1,500–6,000 bytes) to cut each sync a few times.
    static let satellite = ThrottlingRelay.Profile(
        name: "64 kbit/s each way, 600 ms round trip, a cut every 30–120 s at a random byte (scaled: every 1,500–6,000 bytes)",
        bytesPerSecond: 8_000, roundTrip: 0.6, cutEvery: 1_500...6_000)

    /// Runs `sync` through `relay` until it ends well, as a person would; returns its `--json`
    /// answer and how many tries failed.
    static func syncUntilDone(_ client: Client, through relay: ThrottlingRelay, pageSize: Int = 20, extra: [String] = [], tries: Int = 40,
                              afterFailure: () throws -> Void = {}) throws -> (answer: [String: Any], failed: Int) {
        for attempt in 0..<tries {
            let result = try client.workspace.run("sync-client", ["sync", "--json", "--server", relay.url, "--page-size", "\(pageSize)"] + extra + ["--replica", client.replica])
            if result.status == 0 {
                let answer = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                return (answer, attempt)
            }
            #expect(result.stderr.contains("Error:"), "a failed sync says why: \(result.stderr)")
            try afterFailure()
        }
        throw HarnessError("sync did not end well in \(tries) tries over \(relay.profile)")
    }

    /// A day's work on `client`: cells `numbers`, 40 edits across them, 3 signals.
    static func daysWork(_ client: Client, _ numbers: ClosedRange<Int>, _ name: String) throws {
        for number in numbers { try client.ok("cell", "create", "--number", "\(number)", "--title", "\(name)'s cell \(number)") }
        for edit in 0..<40 {
            let number = numbers.lowerBound + edit % numbers.count
            try client.ok("cell", "set", "\(number)", ["trend", "assessment", "crosswinds", "articulatedGoal"][edit % 4], "\(name), edit \(edit)")
        }
        for signal in 0..<3 {
            try client.ok("signal", "add", "--title", "\(name)'s signal \(signal)", "--date", "2026-02-1\(signal)", "--cell", "\(numbers.lowerBound)")
        }
    }

    @Test func aDaysWorkSyncsBothWaysAcrossCutsAndConvergesWithNothingLostOrDoubled() throws {
        for seed in testSeeds(count: 1, base: 47_000) {
            print("PoorLinkEndToEndTests seed \(seed) (SYNC_TEST_SEED=\(seed) reruns it), profile: \(Self.satellite)")
            let workspace = try Workspace()
            let server = try ServerProcess(workspace: workspace)
            defer { server.stop() }
            let relay = try ThrottlingRelay(to: server.port, profile: Self.satellite, seed: seed)
            defer { relay.stop() }
            let alice = try server.client("alice"), bob = try server.client("bob")
            try Self.daysWork(alice, 1...5, "alice")
            try Self.daysWork(bob, 6...10, "bob")
            // Each wrote 5 cells (number and title), 40 edits and 3 signals (title, date, cells)
            let each = 5 * 2 + 40 + 3 * 3
            var failures = 0
            for client in [alice, bob, alice] {
                failures += try Self.syncUntilDone(client, through: relay).failed
            }
            print("seed \(seed): \(relay.cuts) cuts in \(relay.bytes) bytes; \(failures) syncs failed and were run again")
            #expect(relay.cuts >= 2, "the link was cut (seed \(seed))")
            for client in [alice, bob] {
                let status = try #require(try client.json("status") as? [String: Any])
                #expect(status["versions"] as? Int == 2 * each, "every version of both, once (seed \(seed)): \(status)")
                #expect(status["pending"] as? Int == 0, "seed \(seed)")
                #expect((try client.json("conflicts") as? [Any])?.isEmpty == true, "seed \(seed)")
                #expect((try client.json("signal", "list") as? [Any])?.count == 6, "no signal lost or doubled (seed \(seed))")
            }
            for number in 1...10 {
                let shown = try alice.ok("cell", "show", "\(number)", "--json")
                #expect(shown == (try bob.ok("cell", "show", "\(number)", "--json")), "cell \(number) converged (seed \(seed))")
            }
        }
    }

    @Test func aCutSyncKeepsEveryPageItCommittedAndTheNextGoesOnFromThere() throws {
        let profile = ThrottlingRelay.Profile(name: "64 kbit/s each way, 600 ms round trip, a cut every 800–2,000 bytes", bytesPerSecond: 8_000,
                                              roundTrip: 0.6, cutEvery: 800...2_000)
        for seed in testSeeds(count: 1, base: 47_100) {
            print("PoorLinkEndToEndTests seed \(seed) (SYNC_TEST_SEED=\(seed) reruns it), profile: \(profile)")
            let workspace = try Workspace()
            let server = try ServerProcess(workspace: workspace)
            defer { server.stop() }
            let alice = try server.client("alice")
            for number in 1...30 {
                try alice.ok("cell", "create", "--number", "\(number)", "--title", "Cell \(number)", "--field", "trend=Holding at \(number)",
                             "--field", "assessment=Read on day \(number)")
            }
            try alice.ok("sync")
            let total = 30 * 4
            let relay = try ThrottlingRelay(to: server.port, profile: profile, seed: seed)
            defer { relay.stop() }
            let carol = try server.client("carol")
            // No retries inside the command: each cut ends the sync, and what it kept is counted
            var held: [Int] = []
            let done = try Self.syncUntilDone(carol, through: relay, pageSize: 10, extra: ["--retries", "0"]) {
                held.append(try #require(try carol.json("status") as? [String: Any])["versions"] as? Int ?? -1)
            }
            print("seed \(seed): \(relay.cuts) cuts; versions held after each cut sync: \(held)")
            #expect(!held.isEmpty, "the link was cut (seed \(seed))")
            #expect(held == held.sorted(), "a cut never takes back a page (seed \(seed)): \(held)")
            #expect(held.contains { $0 > 0 && $0 % 10 == 0 }, "a cut sync kept whole pages (seed \(seed)): \(held)")
            #expect(done.answer["received"] as? Int == total - (held.last ?? 0), "the last sync went on from the last page kept, taking nothing twice (seed \(seed))")
            #expect(try #require(try carol.json("status") as? [String: Any])["versions"] as? Int == total, "seed \(seed)")
        }
    }
}
