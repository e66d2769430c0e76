import SyncModel

/// What a bundle's versions imply (their runs, what they presuppose, who wrote what), gathered
/// one version at a time in dot order: what a bundle's header is made from, and what a reader
/// checks the header against, without holding the versions.
struct BundleContents: Sendable {
    /// Whether the bundle is filtered (format 2): a replica's versions may have gaps.
    let filtered: Bool
    private(set) var count = 0
    /// Each replica's consecutive versions, in dot order.
    private(set) var runs: [VersionBundle.Run] = []
    /// Whether a replica's versions skip a counter somewhere.
    private(set) var hasGap = false
    private(set) var byAnalyst: [String: Int] = [:]
    private(set) var byKind: [String: Int] = [:]
    private(set) var records: Set<RecordID> = []
    private var last: Dot?
    /// Unfiltered: the highest counter any context names, per replica.
    private var named: [ReplicaID: UInt64] = [:]
    /// Filtered: what contexts name that the bundle does not carry, per replica (the highest).
    private var uncarried: [ReplicaID: UInt64] = [:]
    /// Filtered: dots contexts name beyond the versions met so far (decided at the end).
    private var ahead: Set<Dot> = []

    init(filtered: Bool) { self.filtered = filtered }

    /// Adds the next version; false (and nothing added) unless it comes after the previous one
    /// in dot order.
    mutating func add(_ version: Version) -> Bool {
        let dot = version.dot
        if let last {
            guard last < dot else { return false }
            if last.replica == dot.replica, last.counter + 1 != dot.counter { hasGap = true }
        }
        if let run = runs.last, run.replica == dot.replica, run.last + 1 == dot.counter {
            runs[runs.count - 1].last = dot.counter
        } else {
            runs.append(VersionBundle.Run(replica: dot.replica, first: dot.counter, last: dot.counter))
        }
        for entry in version.context.entries {
            if !filtered {
                named[entry.replica] = max(named[entry.replica] ?? 0, entry.counter)
                continue
            }
            let seen = Dot(replica: entry.replica, counter: entry.counter)
            // A dot at or before this one is carried or not for good; one after it may yet come.
            if seen <= dot {
                if !carries(seen) { uncarried[seen.replica] = max(uncarried[seen.replica] ?? 0, seen.counter) }
            } else {
                ahead.insert(seen)
            }
        }
        byAnalyst[version.author, default: 0] += 1
        byKind[version.kind, default: 0] += 1
        records.insert(version.record)
        count += 1
        last = dot
        return true
    }

    /// What must be held before these versions. Unfiltered: each carried replica's counters
    /// before its run, and for replicas not carried the highest counter any version's context
    /// names. Filtered (format 2), where a replica's versions may rightly have gaps (records the
    /// receiver may not read): for every replica, the highest counter a context names that the
    /// bundle does not carry, since a version of a record is written on top of versions of that
    /// record alone, all of which the receiver may read.
    var prerequisites: VersionVector {
        var needed: [ReplicaID: UInt64] = [:]
        if filtered {
            needed = uncarried
            for dot in ahead where !carries(dot) { needed[dot.replica] = max(needed[dot.replica] ?? 0, dot.counter) }
            return VersionVector(needed)
        }
        var first: [ReplicaID: UInt64] = [:]
        for run in runs where first[run.replica] == nil { first[run.replica] = run.first }
        for (replica, counter) in first where counter > 1 { needed[replica] = counter - 1 }
        for (replica, counter) in named where first[replica] == nil { needed[replica] = max(needed[replica] ?? 0, counter) }
        return VersionVector(needed)
    }

    /// Whether a run met so far holds `dot`: a binary search over the runs, which are in dot order.
    private func carries(_ dot: Dot) -> Bool {
        var low = 0, high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if Dot(replica: runs[middle].replica, counter: runs[middle].first) <= dot { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return false }
        let run = runs[low - 1]
        return run.replica == dot.replica && run.last >= dot.counter
    }
}
