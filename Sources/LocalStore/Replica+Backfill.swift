import Foundation
import GRDB
import SyncModel
public import SyncProtocol

/// The history a replica still asks for: records it was newly cleared to read (a grant, a
/// record moved within reach, or one brought again after its unsent writes were set aside),
/// older than its feed cursor, brought page by page (see ``Backfill``).
extension Replica {
    /// The history still to ask for, if any.
    public func pendingBackfill() throws -> Backfill? {
        try store.read { db in try Self.pendingBackfill(db) }
    }

    static func pendingBackfill(_ db: Database) throws -> Backfill? {
        try Meta.decoded(Backfill.self, "backfill", db)
    }

    static func saveBackfill(_ backfill: Backfill, _ db: Database) throws {
        try Meta.set("backfill", encoding: backfill, db)
    }

    /// Adds to the history to ask for. A backfill under way starts over from the feed's start
    /// when it gains anything: what it had passed may hold the new records' versions.
    static func addBackfill(compartments: Set<String>, records: Set<RecordID>, _ db: Database) throws {
        var backfill = try pendingBackfill(db) ?? Backfill(compartments: [], records: [])
        let merged = Backfill(compartments: Set(backfill.compartments).union(compartments).sorted(),
                              records: Set(backfill.records).union(records).sorted(), after: backfill.after)
        guard merged.compartments != backfill.compartments || merged.records != backfill.records else { return }
        backfill = merged
        backfill.after = 0
        try saveBackfill(backfill, db)
    }

    /// Stores a backfill page: its versions (their records' compartments with them), what the
    /// answer said of access, and the position reached. With `done` the backfill is over,
    /// unless that same answer added to it (it then starts over).
    public func receiveBackfill(
        _ versions: PreparedVersions, compartments: [Placement], reached: UInt64, done: Bool, access: AccessUpdate? = nil
    ) throws -> ApplyReport {
        try receivePage(of: "backfill", versions, compartments: compartments, reached: reached, done: done, access: access)
    }

    /// Stores a page of the backfill kept in meta under `key` (``receiveBackfill(_:compartments:reached:done:access:)``,
    /// and a shallow join's history, ``receiveHistory(_:compartments:reached:done:access:)``): its
    /// versions, their records' compartments, what the answer said of access, and the position
    /// reached, in one transaction. With `done` the backfill is over and `key` and `finished`
    /// go, unless that same answer added to it (it then starts over). `trustingHistory` as in
    /// ``ApplyBatch/trustsHistory``.
    func receivePage(
        of key: String, _ versions: PreparedVersions, compartments: [Placement], reached: UInt64, done: Bool, access: AccessUpdate?,
        trustingHistory: Bool = false, finished: [String] = []
    ) throws -> ApplyReport {
        let (report, removed) = try store.transaction { db in
            let asked = try Meta.decoded(Backfill.self, key, db)
            let removed = try access.map { try applyAccess($0, db, at: WallClock.now()) } ?? false
            let report = try store.integrate(versions, db, trustingHistory: trustingHistory)
            try Self.noteCompartments(compartments, db)
            if var backfill = try Meta.decoded(Backfill.self, key, db), backfill == asked {
                if done {
                    for gone in [key] + finished { try db.cachedStatement(sql: "DELETE FROM meta WHERE key = ?").execute(arguments: [gone]) }
                } else {
                    backfill.after = reached
                    try Meta.set(key, encoding: backfill, db)
                }
            }
            return (report, removed)
        }
        if removed { try scrub() }
        return report
    }
}
