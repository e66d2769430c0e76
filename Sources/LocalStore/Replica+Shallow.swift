import Foundation
import GRDB
public import SyncModel
public import SyncProtocol

/// A shallow join (`sync-client init --shallow`): the first sync brings the current state
/// (``ShallowSnapshot``) page by page instead of the whole history, and the history before the
/// join's position follows as a backfill of every record the analyst reads (``pendingHistory()``).
///
/// Meta keys: `shallow`, the join still under way (the next page's ``ShallowRequest``);
/// `history`, the history still to bring (a ``Backfill``); `history_seen`, each replica's highest
/// counter before the join's position; `history_records`, records whose whole history came since
/// (see ``HistoryGuard``).
extension Replica {
    /// Makes this replica's first sync a shallow join. Refused on a replica that holds versions.
    public func requestShallowJoin() throws {
        try store.transaction { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM version LIMIT 1") == nil, try Self.serverCursor(db) == nil else {
                throw ShallowJoinRefusal()
            }
            try Self.saveShallow(ShallowRequest(), db)
        }
    }

    /// The next page a shallow join under way asks for; nil when none is.
    public func pendingShallowJoin() throws -> ShallowRequest? {
        try store.read { db in try Meta.decoded(ShallowRequest.self, "shallow", db) }
    }

    /// The history a shallow join still has to bring; nil once it is all here (or for a replica
    /// that joined in full).
    public func pendingHistory() throws -> Backfill? {
        try store.read { db in try Meta.decoded(Backfill.self, "history", db) }
    }

    /// Stores a shallow page: its versions, the compartments of its records, what the answer said
    /// of access, and where the join stands, in one transaction. With `done`, the replica's feed
    /// cursor becomes the join's position and the history before it is noted to bring.
    public func receiveShallow(
        _ versions: PreparedVersions, answer: ShallowAnswer, done: Bool, compartments: [Placement], access: AccessUpdate? = nil
    ) throws -> ApplyReport {
        let (report, removed) = try store.transaction { db in
            let removed = try access.map { try applyAccess($0, db, at: WallClock.now()) } ?? false
            let report = try store.integrate(versions, db, trustingHistory: true)
            try Self.noteCompartments(compartments, db)
            var seen = try Self.historyGuard(db)?.seen ?? VersionVector()
            seen.merge(answer.seen)
            try Meta.set("history_seen", StoreCoding.encode(seen), db)
            if done {
                try db.execute(sql: "DELETE FROM meta WHERE key = 'shallow'")
                try Meta.set("server_cursor", answer.at.description, db)
                let readable = try Self.clearances(db).map(\.compartment)
                let history = Backfill(compartments: readable.isEmpty ? [Compartment.defaultName] : readable.sorted(), records: [])
                try Meta.set("history", encoding: history, db)
            } else {
                try Self.saveShallow(ShallowRequest(at: answer.at, after: answer.reached), db)
            }
            return (report, removed)
        }
        if removed { try scrub() }
        return report
    }

    /// Stores a page of the history (``pendingHistory()``) and the position it reached; with
    /// `done` the history is complete and the replica is what a full join would have made.
    public func receiveHistory(
        _ versions: PreparedVersions, compartments: [Placement], reached: UInt64, done: Bool, access: AccessUpdate? = nil
    ) throws -> ApplyReport {
        try receivePage(of: "history", versions, compartments: compartments, reached: reached, done: done, access: access,
                        trustingHistory: true, finished: ["history_seen", "history_records"])
    }

    /// Stores the whole history of `records` (every version the server holds of them, brought
    /// before a merge that needed it: ``RecordHistoryNeeded``) in one transaction, and notes
    /// them complete.
    public func receiveRecordHistory(_ versions: PreparedVersions, records: [RecordID]) throws -> ApplyReport {
        try store.transaction { db in
            let report = try store.integrate(versions, db, trustingHistory: true)
            guard var known = try Self.historyGuard(db) else { return report }
            known.complete.formUnion(records)
            let list = known.complete.map(\.rawValue).sorted()
            try Meta.set("history_records", encoding: list, db)
            return report
        }
    }

    /// What the replica knows of the history it lacks; nil when it lacks none.
    static func historyGuard(_ db: Database) throws -> HistoryGuard? {
        guard try lacksHistory(db) else { return nil }
        let seen = try StoreCoding.decodeVector(Meta.get("history_seen", db) ?? "")
        let complete = try Meta.decoded([String].self, "history_records", db) ?? []
        return HistoryGuard(seen: seen, complete: Set(complete.compactMap(RecordID.init)))
    }

    /// Whether a shallow join is under way or its history still to come.
    static func lacksHistory(_ db: Database) throws -> Bool {
        try Meta.get("history", db) != nil || Meta.get("shallow", db) != nil
    }

    private static func saveShallow(_ request: ShallowRequest, _ db: Database) throws {
        try Meta.set("shallow", encoding: request, db)
    }
}

/// `init --shallow` on a replica that already holds versions or has synced.
public struct ShallowJoinRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String {
        "a shallow join is a new replica's first sync; this one already holds versions or has synced"
    }
}

extension Store {
    /// Whether this replica joined shallow and its history has not all arrived: what `log`,
    /// `blame`, `diff` and `--as-of` read lacks older versions.
    public func historyIsArriving() throws -> Bool {
        try read { db in try Replica.lacksHistory(db) }
    }
}

extension Store {
    /// How many versions the file holds: after a shallow join, fewer than its version vector
    /// counts until the history has come.
    public func versionCount() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM version") ?? 0 }
    }
}
