import Foundation
import LinkEmulation
import Testing
import TestSupport

/// A shallow join by the real binaries over the emulated satellite link of
/// ``PoorLinkEndToEndTests`` (64 kbit/s, 600 ms round trip, cuts at random bytes): the replica
/// answers `cell show` after its first sync, says history is still arriving, and `sync --history`
/// then completes across cuts with nothing lost or doubled.
@Suite(.serialized, .ownThreads) struct ShallowJoinEndToEndTests {
    @Test func aShallowJoinIsUsableAtOnceAndItsHistoryCompletesAcrossCuts() throws {
        for seed in testSeeds(count: 1, base: 47_200) {
            print("ShallowJoinEndToEndTests seed \(seed) (SYNC_TEST_SEED=\(seed) reruns it), profile: \(PoorLinkEndToEndTests.satellite)")
            let workspace = try Workspace()
            let server = try ServerProcess(workspace: workspace)
            defer { server.stop() }
            // Alice's history: 12 cells, each assessment rewritten 6 times; bob and alice then
            // set cell 1's trend apart, a conflict the shallow replica must show as they do
            let alice = try server.client("alice"), bob = try server.client("bob")
            for number in 1...12 { try alice.ok("cell", "create", "--number", "\(number)", "--title", "Cell \(number)") }
            for round in 1...6 {
                for number in 1...12 { try alice.ok("cell", "set", "\(number)", "assessment", "Read \(round) of cell \(number)") }
            }
            try alice.ok("sync")
            try bob.ok("sync")
            try alice.ok("cell", "set", "1", "trend", "Rising")
            try bob.ok("cell", "set", "1", "trend", "Falling")
            try alice.ok("sync")
            try bob.ok("sync")
            try alice.ok("sync")
            let total = try #require(try alice.json("status") as? [String: Any])["versions"] as? Int ?? 0
            #expect(total == 12 * 2 + 12 * 6 + 2)
            // Carol joins shallow, through the link
            let token = try server.addAnalyst("carol")
            let path = workspace.path("carol.sqlite")
            let created = try workspace.run("sync-client", ["init", "--replica", path, "--server", server.url, "--token", token, "--shallow"])
            #expect(created.status == 0 && created.stdout.contains("joins shallow"), "\(created.stdout)\(created.stderr)")
            let carol = Client(workspace: workspace, replica: path)
            let relay = try ThrottlingRelay(to: server.port, profile: PoorLinkEndToEndTests.satellite, seed: seed)
            defer { relay.stop() }
            let joined = try PoorLinkEndToEndTests.syncUntilDone(carol, through: relay, pageSize: 10)
            let status = try #require(try carol.json("status") as? [String: Any])
            let held = status["versions"] as? Int ?? 0
            #expect(held < total / 2, "the join brought the current state, not the history: \(held) of \(total)")
            #expect(status["history"] as? String == "arriving" && joined.answer["historyPending"] as? Bool == true, "\(status) \(joined.answer)")
            // Usable at once: the cells, the conflict with its id and base, a write
            for number in [1, 7, 12] {
                #expect(try carol.ok("cell", "show", "\(number)", "--json") == (try alice.ok("cell", "show", "\(number)", "--json")), "cell \(number)")
            }
            #expect(try carol.ok("conflicts", "--json") == (try alice.ok("conflicts", "--json")), "the same conflict, the same id and base")
            // Every command that reads history says it is still arriving, and status says so too
            for command in [["log", "1"], ["blame", "1"], ["diff", "1"], ["cell", "show", "1", "--as-of", "2026-01"], ["dashboard", "--as-of", "2026-01"],
                            ["signal", "list", "--as-of", "2026-01"]] {
                let result = try workspace.run("sync-client", command + ["--replica", path])
                #expect(result.stderr.contains("history is still arriving"), "\(command): \(result.stderr)")
            }
            #expect(try carol.ok("status").contains("History  still arriving after a shallow join"))
            #expect(try !carol.ok("cell", "show", "1").isEmpty && (try workspace.run("sync-client", ["cell", "show", "1", "--replica", path])).stderr.isEmpty,
                    "reading the current state says nothing of history")
            // The history, across cuts: nothing lost or doubled
            _ = try PoorLinkEndToEndTests.syncUntilDone(carol, through: relay, pageSize: 10, extra: ["--history"])
            print("seed \(seed): \(relay.cuts) cuts in \(relay.bytes) bytes")
            let after = try #require(try carol.json("status") as? [String: Any])
            #expect(after["versions"] as? Int == total && after["history"] == nil, "\(after)")
            let logAfter = try workspace.run("sync-client", ["log", "1", "--replica", path])
            #expect(!logAfter.stderr.contains("history is still arriving"))
            for number in 1...12 {
                #expect(try carol.ok("log", "\(number)", "--json", "--limit", "0") == (try alice.ok("log", "\(number)", "--json", "--limit", "0")), "cell \(number)'s history")
            }
            #expect(relay.cuts >= 1, "the link was cut (seed \(seed))")
        }
    }
}
