public import SyncModel
import SyncProtocol

/// Versions held by dot, and the vector they cover: what the in-memory test stores keep, and
/// the checks every store makes of incoming versions (a dot held with other content, a gap in a
/// replica's counters), refused as a real store's would be.
public struct VersionLedger: Sendable {
    public private(set) var versions: [Dot: Version] = [:]
    public private(set) var vector = VersionVector()

    public init() {}

    /// The versions of `incoming` not held yet, in order, and how many were already held; throws
    /// for the first one a store refuses. Changes nothing.
    public func sort(_ incoming: [Version]) throws -> (new: [Version], duplicates: Int) {
        var expected = vector
        var pending: [Dot: Version] = [:]
        var new: [Version] = []
        var duplicates = 0
        for version in incoming {
            if let known = versions[version.dot] ?? pending[version.dot] {
                guard known == version else { throw MemoryStorageError(.dotReused, "\(version.dot) is held with other content") }
                duplicates += 1
                continue
            }
            guard version.dot.counter == expected[version.dot.replica] + 1 else {
                throw MemoryStorageError(.counterGap, "\(version.dot) leaves a gap after \(expected[version.dot.replica])")
            }
            expected[version.dot.replica] = version.dot.counter
            pending[version.dot] = version
            new.append(version)
        }
        return (new, duplicates)
    }

    /// Holds a version ``sort(_:)`` found new.
    public mutating func hold(_ version: Version) {
        versions[version.dot] = version
        vector[version.dot.replica] = version.dot.counter
    }
}
