import Foundation
public import SyncModel
public import SyncProtocol

/// A server's storage held in memory: a second implementation of ``ServerStorage`` beside the
/// SQLite one, for testing the server's policy and the session with no database. It keeps
/// versions (not field states), the feed with its chain, analysts and replica bindings, the
/// conflicts replicas reported and bundle applies, and performs each exchange all or nothing.
public final class MemoryServerStorage: InspectableStorage, @unchecked Sendable {
    private struct State {
        var ledger = VersionLedger()
        /// Each entry's dot and the position after it.
        var feed: [(dot: Dot, position: FeedCursor)] = []
        var analysts: [String: (analyst: Analyst, tokenHash: String)] = [:]
        var owners: [ReplicaID: ReplicaBinding] = [:]
        var kinds: [RecordID: String] = [:]
        /// Each replica's last exchange and the feed position its answer reached.
        var activity: [ReplicaID: (lastSync: Int64, reached: UInt64?)] = [:]
        /// Each conflict reported, with whether it was reported resolved.
        var conflicts: [ConflictID: Bool] = [:]
        var bundleApplies: [BundleApplyResult: Int] = [:]
    }

    private let lock = NSLock()
    private var state = State()

    public init() {}

    /// Every version stored, in dot order.
    public var versions: [Version] { lock.withLock { state.ledger.versions.values.sorted { $0.dot < $1.dot } } }

    /// The dots of the feed, in arrival order.
    public var feed: [Dot] { lock.withLock { state.feed.map(\.dot) } }

    public func check(_ versions: [Version]) throws -> [Version] {
        try versions.map { version in
            do {
                return try VersionRules.validated(version)
            } catch let error as ModelError {
                throw VersionRefusal.invalid(error)
            }
        }
    }

    public func perform(
        _ work: ExchangeWork<[Version]>, ownership: @escaping @Sendable ([ReplicaID: ReplicaBinding]) throws -> Void
    ) async throws -> StoredExchange {
        try lock.withLock {
            // Changes go to a copy, kept only if everything succeeds.
            var next = state
            var owners: [ReplicaID: ReplicaBinding] = [:]
            for replica in work.claimed { owners[replica] = next.owners[replica] }
            try ownership(owners)
            for replica in work.claimed where owners[replica] == nil { next.owners[replica] = ReplicaBinding(analyst: work.analyst) }
            if let (replica, key) = work.requesterKey, next.owners[replica]?.publicKey == nil { next.owners[replica]?.publicKey = key }
            let sorted = try next.ledger.sort(work.versions, withdrawn: work.withdrawn)
            for version in sorted.new {
                let kind = next.kinds[version.record, default: version.kind]
                guard kind == version.kind else { throw VersionRefusal.kindMismatch(record: version.record, known: kind, got: version.kind) }
                next.kinds[version.record] = kind
                next.ledger.hold(version)
                next.feed.append((version.dot, (next.feed.last?.position ?? .start).advanced(by: version.dot)))
            }
            next.ledger.raise(sorted.counters)
            var report = ApplyReport()
            (report.new, report.duplicates) = (sorted.new.count, sorted.duplicates)
            var vector = VersionVector()
            for replica in work.counted { vector[replica] = next.ledger.vector[replica] }
            let stored = StoredExchange(report: report, vector: vector, page: try Self.page(work.page, next))
            if let requester = work.requester {
                next.activity[requester] = (work.time, stored.page?.cursor?.seq ?? next.activity[requester]?.reached)
            }
            for id in work.conflicts.opened where next.conflicts[id] == nil { next.conflicts[id] = false }
            for id in work.conflicts.resolved { next.conflicts[id] = true }
            if work.countsBundleApply { next.bundleApplies[.applied, default: 0] += 1 }
            state = next
            return stored
        }
    }

    private static func page(_ query: PageQuery, _ state: State) throws -> StoredPage? {
        var budget = query.budget
        var versions: [Version] = []
        func admits(_ version: Version) -> Bool {
            versions.count < query.limit && budget.admits(PageBudget.size(context: version.context, value: "\(version.value)"))
        }
        switch query.start {
        case .shallow(let request):
            let at = request.at ?? state.feed.last?.position ?? .start
            guard at.seq == 0 ? at.chain == 0 : at.seq <= UInt64(state.feed.count) && state.feed[Int(at.seq) - 1].position == at else {
                throw ShallowError.unknownPosition(at)
            }
            var byRecord: [RecordID: [Version]] = [:]
            for entry in state.feed.prefix(Int(at.seq)) {
                let version = state.ledger.versions[entry.dot]!
                byRecord[version.record, default: []].append(version)
            }
            let records = state.kinds.keys.filter { record in request.after.map { record > $0 } ?? true }.sorted()
            var builder = ShallowPageBuilder(limit: query.limit, budget: query.budget)
            for record in records.prefix(max(query.limit, 1)) {
                guard builder.take(record, versions: byRecord[record]) else { break }
            }
            return builder.page(at: at, compartments: [], remaining: records.count > max(query.limit, 1))
        case .backfill:
            // No grant happens here (every record is in the default compartment): nothing to bring.
            return StoredPage(versions: [], more: false, cursor: nil, backfilled: UInt64(state.feed.count))
        case .feed(let cursor, let skipping):
            let honoured = cursor.seq == 0 ? cursor.chain == 0
                : cursor.seq <= UInt64(state.feed.count) && state.feed[Int(cursor.seq) - 1].position == cursor
            guard honoured else { return nil }
            var position = cursor
            for entry in state.feed.dropFirst(Int(cursor.seq)) {
                if !skipping.contains(entry.dot.replica) {
                    let version = state.ledger.versions[entry.dot]!
                    guard admits(version) else { return StoredPage(versions: versions, more: true, cursor: position) }
                    versions.append(version)
                }
                position = entry.position
            }
            return StoredPage(versions: versions, more: false, cursor: position)
        case .notCoveredBy(let vector):
            for replica in state.ledger.vector.replicas {
                var counter = vector[replica] + 1
                while counter <= state.ledger.vector[replica] {
                    // A dot set aside by its owner (see PushSort) is passed over, never held.
                    if let version = state.ledger.versions[Dot(replica: replica, counter: counter)] {
                        guard admits(version) else { return StoredPage(versions: versions, more: true, cursor: nil) }
                        versions.append(version)
                    }
                    counter += 1
                }
            }
            return StoredPage(versions: versions, more: false, cursor: state.feed.last?.position ?? .start)
        }
    }

    public func addAnalyst(name: String, tokenHash: String, at time: Int64) throws {
        try lock.withLock {
            guard state.analysts[name] == nil else { throw AnalystError.exists(name) }
            state.analysts[name] = (Analyst(name: name, created: time, revoked: nil), tokenHash)
        }
    }

    public func activeAnalyst(named name: String) -> (analyst: Analyst, tokenHash: String)? {
        lock.withLock { state.analysts[name].flatMap { $0.analyst.revoked == nil ? $0 : nil } }
    }

    public func analysts() -> [Analyst] {
        lock.withLock { state.analysts.values.map(\.analyst).sorted { $0.name < $1.name } }
    }

    public func replaceToken(name: String, tokenHash: String) throws -> Bool {
        try lock.withLock {
            guard let known = state.analysts[name] else { throw AnalystError.notFound(name) }
            state.analysts[name] = (known.analyst, tokenHash)
            return known.analyst.revoked != nil
        }
    }

    public func reinstate(name: String) throws -> Bool {
        try lock.withLock {
            guard var known = state.analysts[name] else { throw AnalystError.notFound(name) }
            guard known.analyst.revoked != nil else { return false }
            known.analyst.revoked = nil
            state.analysts[name] = known
            return true
        }
    }

    public func revoke(name: String, at time: Int64) throws {
        try lock.withLock {
            guard var known = state.analysts[name] else { throw AnalystError.notFound(name) }
            if known.analyst.revoked == nil { known.analyst.revoked = time }
            state.analysts[name] = known
        }
    }

    private let key = BundleKey.generate()

    public func bundleKey() -> BundleKey { key }

    public func replicaBindings() -> [ReplicaID: ReplicaBinding] {
        lock.withLock { state.owners }
    }

    public func replicaActivity() -> [ReplicaActivity] {
        lock.withLock {
            state.owners.map { replica, binding in
                ReplicaActivity(replica: replica, analyst: binding.analyst, lastSync: state.activity[replica]?.lastSync,
                                reached: state.activity[replica]?.reached)
            }.sorted { ($0.analyst, $0.replica.rawValue) < ($1.analyst, $1.replica.rawValue) }
        }
    }

    public func conflictCounts() -> ConflictCounts {
        lock.withLock { ConflictCounts(open: state.conflicts.values.filter { !$0 }.count, opened: state.conflicts.count) }
    }

    public func recordRefusedBundleApply(_ reason: BundleApplyResult.Reason, at time: Int64) {
        lock.withLock { state.bundleApplies[.refused(reason), default: 0] += 1 }
    }

    public func bundleApplies() -> [BundleApplyResult: Int] {
        lock.withLock { state.bundleApplies }
    }

    public func feedHead() -> FeedCursor {
        lock.withLock { state.feed.last?.position ?? .start }
    }

    /// Only the feed: access never changes in memory (see ``keepsCompartments``).
    public func changeStamp() -> ChangeStamp {
        ChangeStamp(feed: feedHead().seq)
    }

    /// Every record it holds is in the default compartment.
    public func compartments(of record: RecordID) -> [String]? {
        lock.withLock { state.kinds[record] == nil ? nil : [Compartment.defaultName] }
    }

    public func canonicalDump() -> String {
        lock.withLock {
            var lines = state.ledger.versions.values.sorted { $0.dot < $1.dot }.map { "\($0)" }
            lines += state.feed.map { "feed \($0.position) \($0.dot)" }
            lines += state.analysts.values.sorted { $0.analyst.name < $1.analyst.name }.map { "analyst \($0.analyst) \($0.tokenHash)" }
            lines += state.owners.sorted { $0.key < $1.key }.map { "owner \($0.key) \($0.value.analyst) \($0.value.publicKey?.base64EncodedString() ?? "-")" }
            return lines.joined(separator: "\n")
        }
    }
}
