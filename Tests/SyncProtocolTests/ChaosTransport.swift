import Foundation
import LocalStore
import SyncModel
import SyncProtocol
import TestSupport

/// A seeded unreliable network in front of an in-process server store: requests are dropped
/// before they arrive, answers are lost after the server committed, requests are duplicated,
/// and old requests are replayed out of order. Every message goes through its JSON encoding.
final class ChaosTransport: SyncTransport, @unchecked Sendable {
    /// The server's instances: each request goes to one drawn at random.
    let servers: [any ServerStorage]
    let analyst: String
    private let lock = NSLock()
    private var random: SplitMix64
    private var history: [SyncRequest] = []
    private(set) var faults = 0
    var reliable = false

    struct Dropped: Error {}

    init(servers: [any ServerStorage], analyst: String, seed: UInt64) {
        self.servers = servers
        self.analyst = analyst
        random = SplitMix64(seed: seed)
    }

    private func roll(_ percent: Int) -> Bool {
        lock.withLock { !reliable && Int.random(in: 0..<100, using: &random) < percent }
    }

    func send(_ request: SyncRequest) async throws -> SyncResponse {
        let wire = try JSONDecoder().decode(SyncRequest.self, from: WireProtocol.encode(request))
        if roll(5) { faults += 1; throw Dropped() }
        if roll(10), let old = lock.withLock({ history.randomElement(using: &random) }) {
            faults += 1
            _ = try? await deliver(old)
        }
        lock.withLock { history.append(wire); if history.count > 20 { history.removeFirst() } }
        var response = try await deliver(wire)
        if roll(5) { faults += 1; response = try await deliver(wire) }
        if roll(5) { faults += 1; throw Dropped() }
        return try JSONDecoder().decode(SyncResponse.self, from: WireProtocol.encode(response))
    }

    private func deliver(_ request: SyncRequest) async throws -> SyncResponse {
        let server = lock.withLock { servers[Int.random(in: 0..<servers.count, using: &random)] }
        return try await server.answer(request, analyst: analyst, defaultPageSize: 50, maxPageSize: .max, at: 0).response
    }
}
