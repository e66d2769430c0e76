import Foundation
import LocalStore
import StoreKinds
import SyncModel
import SyncProtocol
import SyncServerCore
import Testing

/// Need-to-know and waits: a wait ends only for versions its analyst may read, and a change in
/// their clearances (made by another process, as `sync-server clearance` does) ends it as
/// promptly as a version would.
extension WaitEndpointTests {
    @Test(arguments: StoreKind.allCases) func aWaitWakesOnlyForWhatItsAnalystMayReadAndForAChangeOfClearance(kind: StoreKind) async throws {
        let live = try await LiveServer(kind)
        let storage = live.server.storage
        try await storage.addCompartment("east", at: 1)
        try await storage.grant(analyst: "alice", compartment: "east", write: true)
        let alice = try Replica.inMemory(analyst: "alice"), bob = try Replica.inMemory(analyst: "bob")
        try await live.sync(alice)
        try await live.sync(bob)

        let unread = Task { try await live.wait(bob, seconds: 2) }
        try await Self.parked(live.waits, count: 1)
        let record = RecordID.random()
        try alice.placeNewRecord(record, in: "east")
        _ = try alice.write([FieldChange(record: record, kind: "cell", field: "title", value: .text("east only"))], at: WallClock.now())
        try await live.sync(alice)
        #expect(try await unread.value.changed == false, "bob's wait ignored a version he may not read")

        let granted = Task { (try await live.wait(bob, seconds: 20), ContinuousClock.now) }
        try await Self.parked(live.waits, count: 1)
        // Timed from the grant's commit (the call's return): what the wait adds to it. The bound is
        // well under the wait's 20 s, so a wake and a timeout stay apart even on a loaded machine.
        try await storage.grant(analyst: "bob", compartment: "east", write: false)
        let grant = ContinuousClock.now
        let (answer, answered) = try await granted.value
        #expect(answer.changed, "the grant ended bob's wait")
        #expect(answered - grant < .seconds(12), "the grant reached the wait after \(answered - grant)")
        try await live.sync(bob)
        #expect(try bob.store.record(record) != nil, "bob's next sync brought the record")

        let revoked = Task { (try await live.wait(bob, seconds: 20), ContinuousClock.now) }
        try await Self.parked(live.waits, count: 1)
        #expect(try await storage.revokeClearance(analyst: "bob", compartment: "east"))
        let revoke = ContinuousClock.now
        let (after, ended) = try await revoked.value
        #expect(after.changed && ended - revoke < .seconds(12), "the revoke ended bob's wait after \(ended - revoke)")
        try await live.stop()
    }
}
