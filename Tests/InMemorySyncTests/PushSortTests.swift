import SyncModel
import SyncProtocol
import Testing

/// The one rule every store applies to a push: held, new, or a gap.
@Suite struct PushSortTests {
    static let alice = ReplicaID("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")!
    static let bob = ReplicaID("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")!
    static let record = RecordID("11111111-1111-4111-8111-111111111111")!

    static func version(_ replica: ReplicaID, _ counter: UInt64, _ text: String = "v") -> Version {
        Version(dot: Dot(replica: replica, counter: counter), context: VersionVector(), record: record, kind: "cell", field: "title",
                value: .text(text), author: "alice", time: Int64(counter))
    }

    @Test func sortsHeldAndNewVersionsAndCountsEachReplicaOnce() throws {
        var asked: [ReplicaID] = []
        let push = [Self.version(Self.alice, 2), Self.version(Self.alice, 3), Self.version(Self.bob, 1), Self.version(Self.alice, 4)]
        let sort = try PushSort(push) { replica in
            asked.append(replica)
            return replica == Self.alice ? 2 : 0
        }
        #expect(asked == [Self.alice, Self.bob], "each replica's stored counter is read once")
        #expect(sort.held.map(\.dot) == [push[0].dot])
        #expect(sort.new.map(\.dot) == [push[1].dot, push[2].dot, push[3].dot])
        #expect(sort.newPositions == [1, 2, 3])
        #expect(sort.duplicates == 1)
        #expect(sort.counters == [Self.alice: 4, Self.bob: 1])
        #expect(sort.raised == [Self.alice: 4, Self.bob: 1])
    }

    @Test func refusesAGapAfterWhatIsStoredOrPushedBefore() {
        #expect(throws: VersionRefusal.counterGap(replica: Self.alice, have: 2, got: 4)) {
            _ = try PushSort([Self.version(Self.alice, 4)]) { _ in 2 }
        }
        #expect(throws: VersionRefusal.counterGap(replica: Self.alice, have: 3, got: 5)) {
            _ = try PushSort([Self.version(Self.alice, 3), Self.version(Self.alice, 5)]) { _ in 2 }
        }
    }

    @Test func aDotRepeatedInThePushMustRepeatItsContent() throws {
        let same = try PushSort([Self.version(Self.alice, 1), Self.version(Self.alice, 1)]) { _ in 0 }
        #expect(same.new.count == 1 && same.repeated == 1 && same.duplicates == 1)
        #expect(throws: VersionRefusal.dotReused(Dot(replica: Self.alice, counter: 1))) {
            _ = try PushSort([Self.version(Self.alice, 1, "one"), Self.version(Self.alice, 1, "other")]) { _ in 0 }
        }
    }

    @Test func aHeldVersionMustEqualTheStoredOne() throws {
        let held = Self.version(Self.alice, 1, "as stored")
        let sort = try PushSort([held]) { _ in 1 }
        #expect(sort.new.isEmpty && sort.raised.isEmpty)
        try sort.checkHeld(against: [held.dot: held])
        #expect(throws: VersionRefusal.dotReused(held.dot)) { try sort.checkHeld(against: [held.dot: Self.version(Self.alice, 1, "changed")]) }
        #expect(throws: VersionRefusal.dotReused(held.dot)) { try sort.checkHeld(against: [:]) }
    }

    @Test func placesOneVersionAfterACounter() throws {
        #expect(try PushSort.place(Dot(replica: Self.alice, counter: 3), after: 3) == .held)
        #expect(try PushSort.place(Dot(replica: Self.alice, counter: 4), after: 3) == .next)
        #expect(throws: VersionRefusal.counterGap(replica: Self.alice, have: 3, got: 5)) {
            _ = try PushSort.place(Dot(replica: Self.alice, counter: 5), after: 3)
        }
    }
}
