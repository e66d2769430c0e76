import GRDB
public import SyncModel
public import SyncProtocol

/// What a replica keeps of its server: the pages it received with the server's counters and
/// feed cursor, the last sync that ended well, and what it has still to send.
extension Replica {
    /// Notes a sync that ended well: when, and with which server (shown by `status`).
    public func noteSync(server: String, at time: Int64) throws {
        try store.transaction { db in
            try Meta.set("last_sync_time", String(time), db)
            try Meta.set("last_sync_server", server, db)
        }
    }

    /// The last sync that ended well, if any.
    public func lastSync() throws -> (time: Int64, server: String)? {
        try store.read { db in
            guard let time = try Meta.get("last_sync_time", db).flatMap(Int64.init), let server = try Meta.get("last_sync_server", db) else { return nil }
            return (time, server)
        }
    }

    /// The replica ids whose versions this replica pushes (its own, now and before).
    public func ownReplicas() throws -> Set<ReplicaID> {
        try store.read { db in try ownReplicas(db) }
    }

    func ownReplicas(_ db: Database) throws -> Set<ReplicaID> {
        Set((try Meta.get("own_replicas", db) ?? id.rawValue).split(separator: ",").compactMap { ReplicaID(String($0)) })
    }

    static func lastServerVector(_ db: Database) throws -> VersionVector {
        try StoreCoding.decodeVector(try Meta.get("server_vector", db) ?? "")
    }

    /// Applies a page from the server and records the server's vector and the feed cursor the
    /// page reaches, in one transaction: a cursor is never saved ahead of the versions it covers.
    public func receive(_ versions: [Version], serverVector: VersionVector, cursor: CursorChange = .keep) throws -> ApplyReport {
        try receive(store.prepare(versions), serverVector: serverVector, cursor: cursor)
    }

    /// Applies a page whose versions ``Store/prepare(_:)`` already checked and encoded, leaving
    /// the writer only the writing.
    ///
    /// `deferFields`, on a replica that holds no versions yet (or whose states are already
    /// deferred), stores the versions without deriving field states; the caller must call
    /// ``settleFields()`` after its last page (opening the file does it too, if it never does).
    /// A first sync's pages then cost a version insert each instead of a field load, merge and
    /// rewrite each time a page touches a field.
    ///
    /// `access` is what the answer said of the analyst's access: records they may no longer read
    /// are removed first (their unsent writes set aside, see ``applyAccess(_:_:at:)``), and the
    /// file is compacted after the transaction so none of their text stays in it.
    public func receive(
        _ versions: PreparedVersions, serverVector: VersionVector, cursor: CursorChange = .keep, deferFields: Bool = false,
        access: ReceivedAccess = .none
    ) throws -> ApplyReport {
        // An answer with nothing new (a no-op sync's) leaves the file as it is: no write
        // transaction, whose commit would cost more than the rest of the round trip's reads.
        if versions.entries.isEmpty, access == .none, try holds(serverVector: serverVector, cursor: cursor) { return ApplyReport() }
        let (report, removed) = try store.transaction { db in
            let removed = try access.update.map { try applyAccess($0, db, at: WallClock.now()) } ?? false
            let report = try store.integrate(versions, db, deferFields: deferFields && !removed)
            if !access.compartments.isEmpty { try Self.noteCompartments(access.compartments, db) }
            try Meta.set("server_vector", StoreCoding.encode(serverVector), db)
            switch cursor {
            case .keep: break
            case .set(let position): try Meta.set("server_cursor", position.description, db)
            case .clear:
                try db.execute(sql: "DELETE FROM meta WHERE key = 'server_cursor'")
                // The server's history changed (restored, or another server): its placement log
                // and clearance versions may have too, so everything is asked for again.
                try db.execute(sql: "DELETE FROM meta WHERE key = 'access_cursor'")
                // A refused cursor means the server's history changed (restored from a backup,
                // or another server): it may have lost the conflicts this file reported.
                try ConflictReports.reportAgain(db)
            }
            return (report, removed)
        }
        if removed { try scrub() }
        return report
    }

    /// Whether the file already holds `serverVector` as the server's and `cursor` as its feed
    /// position, as a page with nothing new would leave them.
    private func holds(serverVector: VersionVector, cursor: CursorChange) throws -> Bool {
        try store.read { db in
            guard try Meta.get("server_vector", db) == StoreCoding.encode(serverVector) else { return false }
            switch cursor {
            case .keep: return true
            case .set(let position): return try Meta.get("server_cursor", db) == position.description
            case .clear: return false
            }
        }
    }

    /// Where in the server's feed the last sync stopped; nil before the first complete pull,
    /// after the server refused the cursor, and after ``rekey(path:newID:)``.
    public func serverCursor() throws -> FeedCursor? {
        try store.read { db in try Self.serverCursor(db) }
    }

    static func serverCursor(_ db: Database) throws -> FeedCursor? {
        try Meta.get("server_cursor", db).flatMap(FeedCursor.init)
    }

    /// How many local versions the server did not have at the last sync, from the counters
    /// alone (a replica's versions are numbered without gaps): no version is read.
    public func pendingCount() throws -> Int {
        try store.read { db in
            let server = try Self.lastServerVector(db)
            let held = try VersionTable.versionVector(of: ownReplicas(db), db)
            let counted = held.replicas.reduce(0) { $0 + Int(held[$1] > server[$1] ? held[$1] - server[$1] : 0) }
            // Writes set aside when a clearance went are counted by their counters but never sent.
            let withdrawn = try Row.fetchAll(db, sql: "SELECT replica, counter FROM withdrawn").filter { row in
                ReplicaID(row[0] as String).map { UInt64(row[1] as Int64) > server[$0] } ?? false
            }.count
            return counted - withdrawn
        }
    }

    /// Local versions the server did not have at the last sync.
    public func pending(limit: Int = .max) throws -> [Version] {
        try store.read { db in
            try VersionTable.versions(db, notCoveredBy: Self.lastServerVector(db), limit: limit, replicas: ownReplicas(db)).versions
        }
    }
}
