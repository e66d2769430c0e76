public import SyncModel
import SyncProtocol

/// Versions held by dot, and the vector they cover: what the in-memory test stores keep. Incoming
/// versions are sorted by the rule every store shares (``PushSort``).
public struct VersionLedger: Sendable {
    public private(set) var versions: [Dot: Version] = [:]
    public private(set) var vector = VersionVector()

    public init() {}

    /// The versions of `incoming` not held yet, in order, and how many were already held; throws
    /// for the first one a store refuses. Changes nothing.
    public func sort(_ incoming: [Version]) throws -> (new: [Version], duplicates: Int) {
        let sort = try PushSort(incoming) { vector[$0] }
        try sort.checkHeld(against: versions)
        return (sort.new, sort.duplicates)
    }

    /// Holds a version ``sort(_:)`` found new.
    public mutating func hold(_ version: Version) {
        versions[version.dot] = version
        vector[version.dot.replica] = version.dot.counter
    }
}
