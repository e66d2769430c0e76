public import SyncModel

/// The rule every store applies to pushed versions, written once: each version is either
/// *held* (its dot is at or below the counter the store holds for its replica, so it must equal
/// the stored version), *new* (the next counter of its replica after what the store holds and
/// what came before it in the push) or a *gap* (a counter further on: refused, as versions
/// must arrive in counter order). A dot repeated within the push must repeat its content.
///
/// Sorting reads nothing but the counters it is given, so the SQLite, PostgreSQL and in-memory
/// stores decide alike; a store then compares the held versions with what it stores
/// (``checkHeld(_:)``) and stores the new ones in the order given.
public struct PushSort: Sendable {
    /// Versions whose dots the store holds already, in push order (a repeated dot each time).
    public private(set) var held: [Version] = []
    /// Versions new to the store, in push order; each replica's are contiguous after its
    /// stored counter.
    public private(set) var new: [Version] = []
    /// Where each of ``new`` stood in the push, for a store that keeps data beside each version.
    public private(set) var newPositions: [Int] = []
    /// Versions the push repeats after their first appearance among ``new``.
    public private(set) var repeated = 0
    /// Each pushed replica's counter once the new versions are stored.
    public private(set) var counters: [ReplicaID: UInt64] = [:]
    /// Each pushed replica's counter as the store held it.
    public private(set) var stored: [ReplicaID: UInt64] = [:]

    /// Where one version stands against the counter its replica has reached.
    public enum Place: Sendable, Equatable {
        /// At or below the counter: the dot is held, and its content must match.
        case held
        /// The counter's successor: new, and stored next.
        case next
    }

    /// Places one version with dot `dot` after a replica's `counter`; throws
    /// ``VersionRefusal/counterGap(replica:have:got:)`` for a counter further on.
    public static func place(_ dot: Dot, after counter: UInt64) throws -> Place {
        if dot.counter <= counter { return .held }
        guard dot.counter == counter + 1 else {
            throw VersionRefusal.counterGap(replica: dot.replica, have: counter, got: dot.counter)
        }
        return .next
    }

    /// Sorts `versions` against `stored`, the counter the store holds for a replica (0 for a
    /// replica it does not know); asked once per replica. Throws the first gap, or a dot
    /// repeated with other content.
    ///
    /// `withdrawn` are dots their replica's owner set aside and will never send (writes made in
    /// a compartment whose clearance went before they were pushed): a counter may pass over
    /// them, and a version sent later at one of them is a reused dot.
    public init(_ versions: some Sequence<Version>, withdrawn: Set<Dot> = [], stored: (ReplicaID) throws -> UInt64) throws {
        var pending: [Dot: Int] = [:]
        /// The counter after `counter` once the withdrawn dots that follow it are passed over.
        func skipping(_ counter: UInt64, _ replica: ReplicaID) -> UInt64 {
            var counter = counter
            while withdrawn.contains(Dot(replica: replica, counter: counter + 1)) { counter += 1 }
            return counter
        }
        for (position, version) in versions.enumerated() {
            let replica = version.dot.replica
            let have: UInt64
            if let known = self.stored[replica] {
                have = known
            } else {
                have = try stored(replica)
                self.stored[replica] = have
                counters[replica] = have
            }
            if version.dot.counter <= have {
                held.append(version)
            } else if let earlier = pending[version.dot] {
                guard new[earlier] == version else { throw VersionRefusal.dotReused(version.dot) }
                repeated += 1
            } else {
                _ = try Self.place(version.dot, after: withdrawn.isEmpty ? counters[replica]! : skipping(counters[replica]!, replica))
                counters[replica] = version.dot.counter
                pending[version.dot] = new.count
                new.append(version)
                newPositions.append(position)
            }
        }
        for replica in Set(withdrawn.map(\.replica)) {
            if self.stored[replica] == nil {
                let have = try stored(replica)
                self.stored[replica] = have
                counters[replica] = have
            }
            counters[replica] = skipping(counters[replica]!, replica)
        }
    }

    /// How many pushed versions the store held already or the push repeated.
    public var duplicates: Int { held.count + repeated }

    /// The replicas whose counters the new versions raise, with their new counters.
    public var raised: [ReplicaID: UInt64] {
        counters.filter { $0.value != stored[$0.key] }
    }

    /// Checks each held version against the store's version at its dot (`stored` gives it, nil
    /// when it is missing); throws ``VersionRefusal/dotReused(_:)`` for the first that differs.
    public func checkHeld(_ stored: (Dot) throws -> Version?) throws {
        for version in held where try stored(version.dot) != version {
            throw VersionRefusal.dotReused(version.dot)
        }
    }

    /// ``checkHeld(_:)`` against versions read in one go.
    public func checkHeld(against stored: [Dot: Version]) throws {
        try checkHeld { stored[$0] }
    }
}
