import Foundation
public import SyncModel
public import SyncProtocol

/// A replica held in memory, for testing the sync session with no database: it keeps versions
/// and the sync bookkeeping a replica file keeps, and checks what a replica file checks of a
/// page (rules, counter gaps, a dot held with other content), but derives no field states.
public final class MemoryReplica: SyncReplica, @unchecked Sendable {
    public let id: ReplicaID
    public let analyst: String
    private let lock = NSLock()
    private var ledger = VersionLedger()
    private var fields: [String: FieldHeads] = [:]
    private var serverVector = VersionVector()
    private var cursor: FeedCursor?
    /// Receives left before one fails, as a crash before its commit would; nil never fails.
    public var receivesBeforeFailure: Int?

    public struct Crash: Error {}

    public init(id: ReplicaID, analyst: String) {
        self.id = id
        self.analyst = analyst
    }

    /// Every version held, in dot order.
    public var versions: [Version] { lock.withLock { ledger.versions.values.sorted { $0.dot < $1.dot } } }

    /// The feed cursor saved by the last page.
    public var savedCursor: FeedCursor? { lock.withLock { cursor } }

    /// Writes `value` to a field as a replica does: the new version's context is the field's vector.
    @discardableResult
    public func write(record: RecordID, kind: String, field: String, value: FieldValue, at time: Int64) -> Version {
        lock.withLock {
            let key = record.rawValue + "/" + field
            let dot = Dot(replica: id, counter: ledger.vector[id] + 1)
            let version = Version(dot: dot, context: fields[key, default: FieldHeads()].localWriteContext, record: record, kind: kind,
                                  field: field, value: value, author: analyst, time: time)
            hold(version)
            return version
        }
    }

    private func hold(_ version: Version) {
        ledger.hold(version)
        _ = fields[version.record.rawValue + "/" + version.field, default: FieldHeads()].integrate(dot: version.dot, context: version.context)
    }

    public func syncStart() throws -> SyncStart {
        lock.withLock { SyncStart(own: [id], acknowledged: serverVector, cursor: cursor, vector: ledger.vector) }
    }

    public func outgoing(acknowledged: VersionVector, limit: Int, ownOnly: Bool, budget: PageBudget) throws -> (vector: VersionVector, versions: [Version]) {
        lock.withLock {
            var budget = budget
            var page: [Version] = []
            var counter = acknowledged[id] + 1
            while counter <= ledger.vector[id], page.count < limit, let version = ledger.versions[Dot(replica: id, counter: counter)],
                  budget.admits(PageBudget.size(context: version.context, value: "\(version.value)")) {
                page.append(version)
                counter += 1
            }
            return (ownOnly ? VersionVector([id: ledger.vector[id]]) : ledger.vector, page)
        }
    }

    public func counters(of replicas: Set<ReplicaID>) throws -> VersionVector {
        lock.withLock {
            var result = VersionVector()
            for replica in replicas { result[replica] = ledger.vector[replica] }
            return result
        }
    }

    public func check(_ versions: [Version]) throws -> [Version] {
        try versions.map { try VersionRules.validated($0) }
    }

    public func receive(_ versions: [Version], serverVector: VersionVector, cursor: CursorChange, deferFields: Bool, access: ReceivedAccess) throws -> ApplyReport {
        try lock.withLock {
            if let left = receivesBeforeFailure {
                guard left > 0 else { throw Crash() }
                receivesBeforeFailure = left - 1
            }
            // Checked whole before anything is held: a page is stored all or nothing.
            let sorted = try ledger.sort(versions)
            for version in sorted.new { hold(version) }
            var report = ApplyReport()
            (report.new, report.duplicates) = (sorted.new.count, sorted.duplicates)
            self.serverVector = serverVector
            switch cursor {
            case .keep: break
            case .set(let position): self.cursor = position
            case .clear: self.cursor = nil
            }
            return report
        }
    }

    public func hasUnderivedFields() throws -> Bool { false }

    public func settleFields() throws -> ApplyReport { ApplyReport() }
}
