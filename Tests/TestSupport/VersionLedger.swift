public import SyncModel
import SyncProtocol

/// Versions held by dot, and the vector they cover: what the in-memory test stores keep. Incoming
/// versions are sorted by the rule every store shares (``PushSort``).
public struct VersionLedger: Sendable {
    public private(set) var versions: [Dot: Version] = [:]
    public private(set) var vector = VersionVector()

    public init() {}

    /// The versions of `incoming` not held yet, in order, how many were already held, and each
    /// pushed replica's counter once they are (past the `withdrawn` dots their owner set aside);
    /// throws for the first one a store refuses. Changes nothing.
    public func sort(_ incoming: [Version], withdrawn: Set<Dot> = []) throws -> (new: [Version], duplicates: Int, counters: [ReplicaID: UInt64]) {
        let sort = try PushSort(incoming, withdrawn: withdrawn) { vector[$0] }
        try sort.checkHeld(against: versions)
        return (sort.new, sort.duplicates, sort.raised)
    }

    /// Raises replicas' counters past dots set aside, once the new versions are held.
    public mutating func raise(_ counters: [ReplicaID: UInt64]) {
        for (replica, counter) in counters where counter > vector[replica] { vector[replica] = counter }
    }

    /// Holds a version ``sort(_:)`` found new.
    public mutating func hold(_ version: Version) {
        versions[version.dot] = version
        vector[version.dot.replica] = version.dot.counter
    }
}
