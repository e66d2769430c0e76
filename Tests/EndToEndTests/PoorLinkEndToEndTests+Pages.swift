import Foundation
import LinkEmulation
import Testing
import TestSupport

/// Pages sized to the link, own writes first and gzip, with the real binaries over the relay.
extension PoorLinkEndToEndTests {
    /// 64 kbit/s each way and a 600 ms round trip, never cut.
    static let slowAndWhole = ThrottlingRelay.Profile(name: "64 kbit/s each way, 600 ms round trip, no cuts", bytesPerSecond: 8_000,
                                                      roundTrip: 0.6, cutEvery: nil)

    /// Prose of `length` random words from `random`: text gzip shrinks only as far as real prose.
    static func prose(_ length: Int, _ random: inout SplitMix64) -> String {
        var text = ""
        while text.utf8.count < length {
            let word = String((0..<Int.random(in: 2...9, using: &random)).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement(using: &random)! })
            text += word + (Int.random(in: 0..<12, using: &random) == 0 ? ".\n" : " ")
        }
        return text
    }

    /// 40 cells with five prose sections of about 2 KB each on `client`: about 400 KB to receive.
    static func largeHistory(_ client: Client, seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for number in 1...40 {
            var fields: [String] = []
            for field in ["problemStatement", "articulatedGoal", "strategicLogic", "assessment", "crosswinds"] {
                fields += ["--field", "\(field)=\(prose(2_000, &random))"]
            }
            try client.workspace.run("sync-client", ["cell", "create", "--number", "\(number)", "--title", "Cell \(number)"] + fields + ["--replica", client.replica])
                .expectSuccess()
        }
    }

    /// A server on 127.0.0.1 to which alice has synced her ``largeHistory(_:seed:)``.
    static func serverWithLargeHistory(seed: UInt64) throws -> ServerProcess {
        let server = try ServerProcess(workspace: try Workspace())
        let alice = try server.client("alice")
        try largeHistory(alice, seed: seed)
        try alice.ok("sync")
        return server
    }

    @Test func ownWritesReachTheServerBeforeTheBulkOfALargeIncomingHistory() throws {
        for seed in testSeeds(count: 1, base: 47_200) {
            print("PoorLinkEndToEndTests seed \(seed) (SYNC_TEST_SEED=\(seed) reruns it), profile: 64 kbit/s, 600 ms, one cut after 12,000 bytes")
            let server = try Self.serverWithLargeHistory(seed: seed)
            defer { server.stop() }
            let carol = try server.client("carol")
            for number in 101...103 { try carol.ok("cell", "create", "--number", "\(number)", "--title", "Carol's cell \(number)") }
            // The link drops once 12,000 bytes have crossed it: well inside the first page of
            // alice's history, after carol's first, one-version answer and her push.
            let cut = ThrottlingRelay.Profile(name: "64 kbit/s, 600 ms, a cut after 12,000 bytes", bytesPerSecond: 8_000, roundTrip: 0.6,
                                              cutEvery: 12_000...12_000, cuts: 1)
            let relay = try ThrottlingRelay(to: server.port, profile: cut, seed: seed)
            defer { relay.stop() }
            let failed = try carol.workspace.run("sync-client", ["sync", "--server", relay.url, "--retries", "0", "--replica", carol.replica])
            #expect(failed.status != 0 && relay.cuts == 1, "the cut ended carol's sync: \(failed.stderr)")
            let held = try #require(try carol.json("status") as? [String: Any])["versions"] as? Int ?? 0
            #expect(held < 6 + 40 * 7 / 2, "the cut came before the bulk of alice's history: carol holds \(held)")
            // Carol's writes went out first: a colleague sees them though her sync was cut.
            let dave = try server.client("dave")
            try dave.ok("sync")
            for number in 101...103 {
                #expect(try dave.ok("cell", "show", "\(number)").contains("Carol's cell \(number)"), "cell \(number) reached the server")
            }
        }
    }

    @Test func aSlowLinksRequestsStayUnderTwentySecondsAndALargeHistoryArrivesWhole() throws {
        for seed in testSeeds(count: 1, base: 47_300) {
            print("PoorLinkEndToEndTests seed \(seed) (SYNC_TEST_SEED=\(seed) reruns it), profile: \(Self.slowAndWhole)")
            let server = try Self.serverWithLargeHistory(seed: seed)
            defer { server.stop() }
            let relay = try ThrottlingRelay(to: server.port, profile: Self.slowAndWhole, seed: seed)
            defer { relay.stop() }
            let carol = try server.client("carol")
            let answer = try #require(try carol.json("sync", "--server", relay.url) as? [String: Any])
            let largest = try #require(answer["largestRequestBytes"] as? Int)
            let wire = try #require(answer["receivedBytes"] as? Int) + (answer["sentBytes"] as? Int ?? 0)
            let plain = try #require(answer["uncompressedBytes"] as? Int)
            print("seed \(seed): \(answer["requests"] ?? "?") requests, the largest \(largest) bytes; \(wire) bytes on the wire for \(plain) (ratio \(String(format: "%.2f", Double(plain) / Double(wire))))")
            #expect(answer["received"] as? Int == 40 * 7, "every version of alice's history arrived")
            // 20 s at 8,000 bytes a second, whatever the round trip: the bound in bytes.
            #expect(largest <= 160_000, "no request moved more than 20 s of this link: \(largest)")
            #expect(wire > 160_000, "the history is more than one request's worth, so the bound was tested: \(wire)")
            #expect(plain > wire * 3 / 2, "the pages travelled gzipped: \(plain) plain, \(wire) on the wire")
            // The link the sync measured makes the next one's pages at once.
            let speed = try #require(try carol.json("sync", "--dry-run") as? [String: Any])["bytesPerSecond"] as? Double
            // Under 16,000 (the relay passes 8,000 a second each way); well above nothing, with
            // room for a loaded machine whose client is slow to read.
            #expect(speed.map { $0 > 1_000 && $0 < 16_000 } == true, "the sync measured the link: \(String(describing: speed)) bytes/s")
        }
    }
}

extension CommandResult {
    func expectSuccess(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(status == 0, "\(stderr)", sourceLocation: sourceLocation)
    }
}
