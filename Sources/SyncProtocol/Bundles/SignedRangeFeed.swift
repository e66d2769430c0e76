import Foundation
import SyncModel

/// A bundle's signed ranges, fed its versions in dot order: each range's digest is taken as its
/// versions pass, so a reader checks every signature without holding the versions.
///
/// Ranges may overlap (a bundle may carry two signings of one run): a version feeds every range
/// that holds it.
struct SignedRangeFeed {
    private let ranges: [SignedRange]
    /// Indexes of `ranges` by (replica, first).
    private let order: [Int]
    private var next = 0
    /// Ranges begun and not yet complete: their index, the counter they expect next, their digest so far.
    private var open: [(index: Int, expected: UInt64, digest: RangeDigest.Running)] = []
    /// Each range's digest once all its versions passed, by index in `ranges`.
    private(set) var digests: [Data?]

    /// Throws ``RelayError/malformed(_:)`` for a range that is empty, starts at 0 or is too long.
    init(_ ranges: [SignedRange]) throws {
        for range in ranges where !range.isWellFormed {
            throw RelayError.malformed(range.label)
        }
        self.ranges = ranges
        order = ranges.indices.sorted { (ranges[$0].replica, ranges[$0].first, $0) < (ranges[$1].replica, ranges[$1].first, $1) }
        digests = Array(repeating: nil, count: ranges.count)
    }

    /// Feeds the next version (dot order, each dot once); returns whether a range holds it.
    /// Throws ``RelayError/incomplete(range:missing:)`` when a range lacks a version before it.
    mutating func feed(_ version: Version) throws -> Bool {
        let dot = version.dot
        for range in open where range.expected != dot.counter || ranges[range.index].replica != dot.replica {
            throw RelayError.incomplete(range: ranges[range.index].label, missing: Dot(replica: ranges[range.index].replica, counter: range.expected))
        }
        while next < order.count, case let range = ranges[order[next]], Dot(replica: range.replica, counter: range.first) <= dot {
            guard range.first == dot.counter, range.replica == dot.replica else {
                throw RelayError.incomplete(range: range.label, missing: Dot(replica: range.replica, counter: range.first))
            }
            open.append((order[next], range.first, RangeDigest.Running(replica: range.replica, first: range.first, last: range.last)))
            next += 1
        }
        let held = !open.isEmpty
        for position in open.indices.reversed() {
            open[position].digest.add(version)
            // Compared before counting on: a range may end at the last counter there is.
            if open[position].expected == ranges[open[position].index].last {
                digests[open[position].index] = open[position].digest.finish()
                open.remove(at: position)
            } else {
                open[position].expected += 1
            }
        }
        return held
    }

    /// Throws ``RelayError/incomplete(range:missing:)`` for a range whose versions did not all pass.
    func finish() throws {
        if let range = open.first {
            throw RelayError.incomplete(range: ranges[range.index].label, missing: Dot(replica: ranges[range.index].replica, counter: range.expected))
        }
        if next < order.count {
            let range = ranges[order[next]]
            throw RelayError.incomplete(range: range.label, missing: Dot(replica: range.replica, counter: range.first))
        }
    }
}
