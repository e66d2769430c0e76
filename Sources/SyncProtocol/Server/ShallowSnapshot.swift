public import SyncModel

/// What a shallow join brings of a record: written once, so every store serves the same page.
///
/// A replica merges a field from its heads and, when they are several, their common ancestor,
/// which it picks among each replica's greatest version of the field within the heads' common
/// context (``FieldMerge/greatestAncestor(_:)``). Those versions, and the heads, are all a
/// replica needs for its field states, conflict ids and conflict bases to be a full replica's.
public enum ShallowSnapshot {
    /// Of one record's versions up to the snapshot's position (in any order), every field's
    /// heads and, for a field with several, the candidates for their common ancestor; sorted by
    /// field, then dot.
    public static func select(_ versions: [Version]) -> [Version] {
        var byField: [String: [Version]] = [:]
        for version in versions { byField[version.field, default: []].append(version) }
        var chosen: [Version] = []
        for field in byField.keys.sorted() {
            let all = byField[field]!
            var state = FieldHeads()
            for version in all { state.integrate(dot: version.dot, context: version.context) }
            let heads = Set(state.heads)
            var picked = all.filter { heads.contains($0.dot) }
            if picked.count > 1 {
                let common = FieldHeads.commonContext(of: picked)
                for replica in common.replicas {
                    // The replica's own ancestor query, per replica: its greatest version within the context.
                    let bound = common[replica]
                    let candidate = all.lazy.filter { $0.dot.replica == replica && $0.dot.counter <= bound }.max { $0.dot.counter < $1.dot.counter }
                    if let candidate, !heads.contains(candidate.dot) { picked.append(candidate) }
                }
            }
            chosen += picked.sorted { $0.dot < $1.dot }
        }
        return chosen
    }
}

/// A shallow page being filled record by record (``ShallowSnapshot/select(_:)`` of each), up to
/// a count and a ``PageBudget``; a record is never split between pages, and the first always fits.
public struct ShallowPageBuilder: Sendable {
    private let limit: Int
    private var budget: PageBudget
    public private(set) var versions: [Version] = []
    /// The last record taken or passed.
    public private(set) var reached: RecordID?
    /// The highest counter of each replica among every version of the records taken.
    public private(set) var seen = VersionVector()
    /// Whether a record was left out because the page was full.
    public private(set) var full = false

    public init(limit: Int, budget: PageBudget) {
        self.limit = max(limit, 1)
        self.budget = budget
    }

    /// Takes one record's versions up to the snapshot's position (all of them: the selection is
    /// made here); returns false, taking nothing, once the page is full.
    public mutating func add(record: RecordID, versions recordVersions: [Version]) -> Bool {
        take(record, chosen: ShallowSnapshot.select(recordVersions), among: recordVersions.map(\.dot))
    }

    /// Takes one record's ``ShallowSnapshot/select(_:)`` as `chosen`, made by a store that reads
    /// only the chosen versions whole, out of the versions up to the snapshot's position whose
    /// dots are `all`; returns false, taking nothing, once the page is full.
    public mutating func take(_ record: RecordID, chosen: [Version], among all: [Dot]) -> Bool {
        guard !full else { return false }
        var trial = budget
        let fits = chosen.allSatisfy { trial.admits(PageBudget.size($0)) }
        guard versions.isEmpty || (versions.count + chosen.count <= limit && fits) else {
            full = true
            return false
        }
        budget = trial
        versions += chosen
        reached = record
        for dot in all where dot.counter > seen[dot.replica] { seen.add(dot) }
        return true
    }

    /// Takes a record looked at: its versions up to the snapshot's position, or none (nil or
    /// empty: the record is passed); false once the page is full.
    public mutating func take(_ record: RecordID, versions recordVersions: [Version]?) -> Bool {
        guard let recordVersions, !recordVersions.isEmpty else {
            pass(record)
            return !full
        }
        return add(record: record, versions: recordVersions)
    }

    /// Notes a record looked at with nothing to take (no version up to the snapshot's position),
    /// so the next page starts after it.
    public mutating func pass(_ record: RecordID) {
        if !full { reached = record }
    }

    /// The page: `more` when a record was left out or `remaining` says records remain unread.
    public func page(at: FeedCursor, compartments: [Placement], remaining: Bool) -> StoredPage {
        // In dot order, as the feed's pages are: the wire writes each counter, context and time
        // as a difference from the previous one, so a page compresses to about 0.7 of the same
        // versions grouped by record (8.1 against 11.5 bytes a head with gzip, measured).
        let ordered = versions.sorted { $0.dot < $1.dot }
        var page = StoredPage(versions: ordered, more: full || remaining, cursor: nil, compartments: compartments)
        page.shallow = ShallowAnswer(at: at, reached: reached, seen: seen)
        return page
    }
}
