import Foundation
import Testing
import TestSupport

/// The server's log with the real binaries: one JSON line per request with what an operator
/// needs, why each 401 was answered, and never a token or a version's content, even at debug.
@Suite(.serialized, .ownThreads) struct LogEndToEndTests {
    static let sentinel = "SENTINEL-9c41e7b2"

    /// The log's lines that are JSON objects.
    static func lines(_ log: String) -> [[String: String]] {
        log.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
    }

    @Test func aDebugLogOfAWholeScenarioHasARequestLineEachAndNoTokenOrContent() throws {
        let workspace = try Workspace()
        let server = try ServerProcess(workspace: workspace, extraArguments: ["--log-format", "json", "--log-level", "debug"])
        defer { server.stop() }
        let aliceToken = try server.addAnalyst("alice")
        let bobToken = try server.addAnalyst("bob")
        let alice = try Client(workspace: workspace, name: "alice", server: server, token: aliceToken)
        let bob = try Client(workspace: workspace, name: "bob", server: server, token: bobToken)
        try alice.ok("cell", "create", "--number", "20", "--title", "Title \(Self.sentinel)", "--field", "assessment=Prose \(Self.sentinel)")
        try alice.ok("sync")
        try bob.ok("sync")
        try bob.ok("cell", "set", "20", "trajectory", "Holding")
        try bob.ok("sync")
        try alice.ok("sync")
        // Three refused tokens: a wrong secret, an unknown analyst, a revoked analyst.
        try alice.ok("config", "set", "token", "alice." + String(repeating: "A", count: 43))
        _ = try alice.fails("sync")
        let zed = try Client(workspace: workspace, name: "zed", server: server, token: "zed." + String(repeating: "B", count: 43))
        _ = try zed.fails("sync")
        #expect(try workspace.run("sync-server", ["analyst", "revoke", "bob", "--db", server.database]).status == 0)
        _ = try bob.fails("sync")
        server.stop()

        let log = server.log
        let secrets = [aliceToken, bobToken] + [aliceToken, bobToken].map({ String($0.split(separator: ".")[1]) }) + [Self.sentinel]
        for secret in secrets {
            #expect(!log.contains(secret), "the log holds '\(secret.prefix(8))…'")
        }
        let requests = Self.lines(log).filter { $0["message"] == "request" }
        #expect(Self.lines(log).contains { $0["level"] == "debug" }, "the log is at debug level")
        let pushed = try #require(requests.first { $0["route"] == "/v1/sync" && $0["analyst"] == "alice" && $0["versions_in"].flatMap(Int.init) ?? 0 > 0 },
                                  "\(log.suffix(3000))")
        #expect(pushed["status"] == "200" && pushed["method"] == "POST")
        #expect(pushed["versions_out"] != nil && pushed["pull"] != nil)
        #expect(pushed["client"]?.hasPrefix("127.0.0.1:") == true, "\(pushed)")
        #expect(pushed["request_id"].map { !$0.isEmpty } == true && Double(pushed["duration_ms"] ?? "") != nil, "\(pushed)")
        #expect(requests.contains { $0["route"] == "/v1/sync" && $0["analyst"] == "bob" && $0["versions_out"].flatMap(Int.init) ?? 0 > 0 })
        let refused = requests.filter { $0["status"] == "401" }
        #expect(refused.map { $0["reason"] ?? "-" } == ["wrong secret", "unknown analyst", "revoked analyst"], "\(refused)")
        #expect(refused.map { $0["analyst"] ?? "-" } == ["alice", "zed", "bob"], "\(refused)")
    }
}
