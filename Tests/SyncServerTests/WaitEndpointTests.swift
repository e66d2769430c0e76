import AsyncHTTPClient
import Foundation
import Hummingbird
import LocalStore
import Logging
import ServiceLifecycle
import StoreKinds
import SyncHTTP
import SyncModel
import SyncProtocol
import SyncServerCore
import Testing
import TestSupport

/// `POST /v1/wait` on a real listener of 127.0.0.1, on both stores: a wait ends as soon as the
/// feed passes its cursor with something its analyst may read (never for its own versions), or
/// their access changes; it ends empty after its seconds, at once on shutdown, and its limits
/// and bad bodies are answered with a sentence. One test at a time: each runs a server in this
/// process and times it, and the bounds on wake-ups are generous (the end-to-end tests hold the
/// 2 s target with the real binaries).
@Suite(.serialized) struct WaitEndpointTests {
    /// A server with analysts alice and bob, run by a service group this test shuts down.
    final class LiveServer: Sendable {
        let server: TestServer
        let waits: WaitRegistry
        let group: ServiceGroup
        let running: Task<Void, any Error>
        let port: Int
        /// The process's shared client: nothing to shut down if a test fails half-way.
        let client: HTTPClient
        let tokens: [String: String]

        init(_ kind: StoreKind, limits: ServerLimits = ServerLimits()) async throws {
            let tokens = ["alice": TokenHasher.makeToken(analyst: "alice"), "bob": TokenHasher.makeToken(analyst: "bob")]
            self.tokens = tokens
            let server = try await kind.server()
            self.server = server
            for (name, token) in tokens { try await server.storage.addAnalyst(name: name, tokenHash: TokenHasher.hash(token), at: 1) }
            var limits = limits
            limits.changePollMilliseconds = 50
            let waits = WaitRegistry(limits: limits)
            self.waits = waits
            let (ports, listening) = AsyncStream.makeStream(of: Int.self)
            let app = try buildApplication(store: server.storage, configuration: {
                var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, limits: limits)
                configuration.waits = waits
                return configuration
            }(), logger: Logger(label: "wait-tests")) { listening.yield($0) }
            let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "wait-tests")))
            self.group = group
            running = Task { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            port = try #require(await iterator.next())
            client = HTTPClient.shared
        }

        func http(_ analyst: String) -> HTTPTransport {
            HTTPTransport(client: client, server: "http://127.0.0.1:\(port)", token: tokens[analyst] ?? "nobody.x")
        }

        /// Syncs `replica` through the server (pushing its writes), with its access followed.
        func sync(_ replica: Replica) async throws {
            var driver = SyncDriver(replica: replica, pushPageSize: 100, pullPageSize: 100)
            try await driver.run(over: http(replica.analyst))
        }

        func wait(_ replica: Replica, seconds: Int) async throws -> WaitResponse {
            let request = WaitRequest(replica: replica.id, cursor: try replica.serverCursor() ?? .start, access: try replica.accessCursor())
            return try await http(replica.analyst).wait(request, seconds: seconds)
        }

        func stop() async throws {
            await group.triggerGracefulShutdown()
            try await running.value
        }
    }

    static func write(_ replica: Replica, _ title: String) throws {
        _ = try replica.write([FieldChange(record: .random(), kind: "cell", field: "title", value: .text(title))], at: WallClock.now())
    }

    @Test(arguments: StoreKind.allCases) func aPushMadeBetweenTwoRequestsEndsTheNextWaitAtOnce(kind: StoreKind) async throws {
        let live = try await LiveServer(kind)
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try await live.sync(alice)
        try Self.write(bob, "pushed while alice was between requests")
        try await live.sync(bob)
        let started = ContinuousClock.now
        #expect(try await live.wait(alice, seconds: 20).changed)
        // Answered at once, not at the wait's end: a bound well under its 20 s holds on a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(12))
        try await live.stop()
    }

    @Test(arguments: StoreKind.allCases) func aParkedWaitWakesForAColleaguesPushButNotForItsOwn(kind: StoreKind) async throws {
        let live = try await LiveServer(kind)
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try await live.sync(alice)
        try await live.sync(bob)
        let waiting = Task { (try await live.wait(alice, seconds: 20), ContinuousClock.now) }
        try await Self.parked(live.waits, count: 1)
        // Alice's own push (from her replica) does not end her wait.
        try Self.write(alice, "her own")
        try await live.sync(alice)
        try await Task.sleep(for: .milliseconds(300))
        #expect(await live.waits.count == 1, "her own push left her wait parked")
        let pushed = ContinuousClock.now
        try Self.write(bob, "a colleague's")
        try await live.sync(bob)
        let (answer, answered) = try await waiting.value
        #expect(answer.changed)
        #expect(answered > pushed && answered - pushed < .seconds(5), "answered \(answered - pushed) after the push")
        try await live.stop()
    }

    @Test(arguments: StoreKind.allCases) func aWaitWithNothingNewEndsEmptyAfterItsSeconds(kind: StoreKind) async throws {
        let live = try await LiveServer(kind)
        let alice = try Replica.inMemory(analyst: "alice")
        try await live.sync(alice)
        let started = ContinuousClock.now
        #expect(try await live.wait(alice, seconds: 1).changed == false)
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(6), "\(elapsed)")
        try await live.stop()
    }

    @Test(arguments: StoreKind.allCases) func aGracefulShutdownEndsTwoHundredParkedWaitsAtOnce(kind: StoreKind) async throws {
        var limits = ServerLimits()
        limits.maxWaitsPerAnalyst = 1000
        let live = try await LiveServer(kind, limits: limits)
        let alice = try Replica.inMemory(analyst: "alice")
        try await live.sync(alice)
        // A client with a connection for each wait (the shared one keeps 8 per host).
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        let many = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let transport = HTTPTransport(client: many, server: "http://127.0.0.1:\(live.port)", token: live.tokens["alice"] ?? "")
            let request = WaitRequest(replica: alice.id, cursor: try alice.serverCursor() ?? .start, access: try alice.accessCursor())
            let answers = Task {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for _ in 0..<200 { group.addTask { try await transport.wait(request, seconds: 25).changed } }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
            }
            try await Self.parked(live.waits, count: 200)
            let stopping = ContinuousClock.now
            let stopped = Task { try await live.stop() }
            let ended = try await answers.value
            let elapsed = ContinuousClock.now - stopping
            try await stopped.value
            #expect(ended.count == 200 && ended.allSatisfy { !$0 }, "every wait was answered, unchanged")
            // Generous: this process runs the whole suite beside it. `sync-bench live` holds the
            // 2 s target with the real binary (500 waits answered and the process ended in 0.49 s).
            #expect(elapsed < .seconds(10), "the waits were answered \(elapsed) after the shutdown began")
            try await many.shutdown()
        } catch {
            try? await many.shutdown()
            throw error
        }
    }

    /// Waits until `count` waits are admitted.
    static func parked(_ waits: WaitRegistry, count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while await waits.count < count {
            let admitted = await waits.count
            guard ContinuousClock.now < deadline || admitted >= count else { throw WaitTimeout(count: admitted) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct WaitTimeout: Error { var count: Int }
}
