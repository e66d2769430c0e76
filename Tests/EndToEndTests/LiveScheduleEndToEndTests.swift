import Foundation
import Testing
import TestSupport

/// Watchers, writers, server kills and cut connections interleaved by a seeded schedule: at the
/// end every replica converges with the server and holds every write that was acknowledged
/// (committed by a `sync-client` that exited 0), none lost, none twice.
extension LiveEndToEndTests {
    @Test func aSeededScheduleOfWritesKillsAndCutConnectionsConverges() throws {
        // One schedule a run (about 7 s); SYNC_TEST_CASES runs more.
        for seed in testSeeds(count: 1, base: 0x11FE_4600) { try Self.schedule(seed: seed) }
    }

    static func schedule(seed: UInt64) throws {
        print("LiveEndToEndTests schedule: seed \(seed) (rerun with SYNC_TEST_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let workspace = try Workspace()
        var server = try ServerProcess(workspace: workspace)
        let port = server.port
        let proxy = try CuttableProxy(targetPort: port)
        defer { proxy.stop() }
        let clients = try ["alice", "bob", "carol"].map { name in
            let client = try server.client(name)
            try client.ok("config", "set", "server", "http://127.0.0.1:\(proxy.port)")
            return client
        }
        let arguments = ["--max-backoff", "0.3", "--wait-seconds", "3", "--retries", "1"]
        var watchers = try clients.map { try Watcher($0, arguments) }
        for watcher in watchers { try watcher.waitFor("started") }
        var acknowledged: [String] = []
        var steps: [String] = []
        for step in 0..<30 {
            switch random.next() % 10 {
            case 0...4:
                let writer = Int(random.next() % 3)
                let title = "w\(step)-\(clients[writer].replica.split(separator: "/").last!.prefix(3))"
                let made = try workspace.run("sync-client", ["cell", "create", "--number", "\(100 + step)", "--title", title, "--replica", clients[writer].replica])
                if made.status == 0 { acknowledged.append(title) }
                steps.append("write \(title)")
            case 5, 6:
                proxy.cutAll()
                steps.append("cut")
            case 7:
                server.kill()
                Thread.sleep(forTimeInterval: Double(random.next() % 500) / 1000)
                server = try ServerProcess(workspace: workspace, port: port)
                steps.append("kill and restart")
            case 8:
                let which = Int(random.next() % 3)
                _ = watchers[which].stop()
                watchers[which] = try Watcher(clients[which], arguments)
                steps.append("restart \(which)'s watch")
            default:
                let pause = Double(random.next() % 400) / 1000
                Thread.sleep(forTimeInterval: pause)
                steps.append("pause \(pause)")
            }
        }
        print("LiveEndToEndTests schedule \(seed): \(steps.joined(separator: ", ")); \(proxy.cuts) connections cut")
        try Self.waitUntilConverged(server, clients, timeout: 60)
        for watcher in watchers { #expect(watcher.stop().result.status == 0) }
        try CrashEndToEndTests.expectConverged(server, clients)
        let titles = try #require(try clients[0].json("cell", "list") as? [[String: Any]]).compactMap { ($0["fields"] as? [String: Any])?["title"] as? String ?? $0["title"] as? String }
        #expect(Set(titles) == Set(acknowledged) && titles.count == acknowledged.count, "seed \(seed): held \(titles.sorted()), acknowledged \(acknowledged.sorted())")
    }
}
