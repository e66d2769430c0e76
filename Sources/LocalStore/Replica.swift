import GRDB
import Foundation
public import SyncModel
public import SyncProtocol

/// One change a local write makes: a new value for one field of one record.
public struct FieldChange: Sendable, Equatable {
    public var record: RecordID
    public var kind: String
    public var field: String
    public var value: FieldValue

    public init(record: RecordID, kind: String, field: String, value: FieldValue) {
        self.record = record
        self.kind = kind
        self.field = field
        self.value = value
    }
}

/// An analyst's local replica: a ``Store`` with an identity that makes writes.
public struct Replica: Sendable {
    public let store: Store
    public let id: ReplicaID
    /// The analyst whose name signs this replica's writes.
    public let analyst: String

    /// Creates a replica at `path`; refuses if one is already there. Needs no network.
    public static func create(path: String, settings: ReplicaSettings, id: ReplicaID = .random()) throws -> Replica {
        try checkAuthor(settings.analyst)
        let store = try Store.open(path: path, create: true)
        try store.transaction { db in
            if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'replica_id'") != nil {
                throw StoreError.alreadyInitialized(path: path)
            }
            try Meta.set("replica_id", id.rawValue, db)
            try Meta.set("own_replicas", id.rawValue, db)
            try settings.save(db)
            _ = try ensureSigningKey(for: id, db)
        }
        return Replica(store: store, id: id, analyst: settings.analyst)
    }

    /// Opens the replica at `path`.
    /// Field states a first sync left underived (it stopped before its end) are derived first,
    /// so every command reads and writes complete states.
    public static func open(path: String) throws -> Replica {
        let store = try Store.open(path: path, create: false)
        let replica = try store.read { db in
            guard let text = try Meta.get("replica_id", db), let id = ReplicaID(text) else {
                throw StoreError.notInitialized(path: path)
            }
            return Replica(store: store, id: id, analyst: try Meta.get("analyst", db) ?? "unknown")
        }
        do {
            _ = try replica.settleFields()
        } catch StoreError.readOnly {
            // Its versions are whole but its field states are not: reading it would show
            // cells with fields missing.
            throw StoreError.unfinishedFirstSync(path: path)
        }
        return replica
    }

    /// Whether a deferred first sync left field states to derive (see ``settleFields()``).
    public func hasUnderivedFields() throws -> Bool {
        try store.read { db in try ApplyBatch.fieldsPending(db) }
    }

    /// Derives the field states a deferred first sync left underived (nothing to do if none);
    /// reports the conflicts and clean merges found. See ``receive(_:serverVector:cursor:deferFields:)``.
    public func settleFields() throws -> ApplyReport {
        try settleFields(deriveChunk: 4096)
    }

    func settleFields(deriveChunk: Int) throws -> ApplyReport {
        // Most syncs have nothing to derive: a read says so without taking the writer.
        guard try hasUnderivedFields() else { return ApplyReport() }
        return try store.transaction { db in
            var batch = try ApplyBatch.begin(store, db, deriveChunk: deriveChunk)
            return try batch.finish()
        }
    }

    /// A replica in memory, for tests and benchmarks.
    /// `signingKey`, when given, replaces a fresh one (tests that compare two runs).
    public static func inMemory(analyst: String, id: ReplicaID = .random(), signingKey: SigningKey? = nil) throws -> Replica {
        try checkAuthor(analyst)
        let store = try Store.inMemory()
        try store.transaction { db in
            try Meta.set("replica_id", id.rawValue, db)
            try Meta.set("own_replicas", id.rawValue, db)
            try Meta.set("analyst", analyst, db)
            if let signingKey { try Meta.set(keyName(id), signingKey.rawRepresentation.base64EncodedString(), db) }
            _ = try ensureSigningKey(for: id, db)
        }
        return Replica(store: store, id: id, analyst: analyst)
    }

    /// Writes `changes` as consecutive versions in one transaction and returns them.
    ///
    /// Each version's context is the field's version vector here, so it supersedes every head
    /// of the field this replica knows: writing to a conflicted field resolves the conflict.
    ///
    /// A single change is usually appended to the replica's write log instead, which commits one
    /// page instead of several; reads and every other transaction fold the log first, so the
    /// difference is never seen (see ``WriteLog``). A batch is taken field by field, which stores
    /// the same versions (see ``ApplyBatch/writeLocal(_:values:replica:author:time:)``).
    @discardableResult
    public func write(_ changes: [FieldChange], at time: Int64) throws -> [Version] {
        try store.transaction(foldingLog: false) { db in
            if changes.count == 1, store.writeLogCapacity > 0 {
                var single = ApplyBatch(store, db)
                // The log's summary remembers a check that found no read-only clearance.
                if let version = try single.logWrite(changes[0], value: try canonical(changes[0]), replica: id, author: analyst,
                                                     time: time, capacity: store.writeLogCapacity, summaries: store.logSummaries,
                                                     checkCleared: { try checkClearedToWrite(changes, $0) }) {
                    return [version]
                }
            }
            try checkClearedToWrite(changes, db)
            try WriteLog.fold(store, db)
            var batch = try ApplyBatch.begin(store, db)
            let written = changes.count > 1 && store.groupsLocalWrites
                && !changes.contains(where: { $0.field == RecordSchema.deletedFieldName })
                ? try writeByField(changes, into: &batch, at: time)
                : try writeInOrder(changes, into: &batch, at: time)
            _ = try batch.finish()
            return written
        }
    }

    /// Writes `changes` as edits of older states: each version's context is the state given
    /// for it (the field's vector as an export saw it, see ``Store/fields(of:asOf:)``), or the
    /// field's vector here where none is given. Such an edit supersedes exactly what that state
    /// held: writes made since stay concurrent with it, and merge or conflict as any would.
    @discardableResult
    public func write(_ changes: [FieldChange], basedOn states: [VersionVector?], at time: Int64) throws -> [Version] {
        precondition(states.count == changes.count, "one state, or nil, per change")
        return try store.transaction { db in try writeDirectly(changes, basedOn: states, at: time, db) }
    }

    /// Refuses a write to a record in a compartment the analyst may only read (as the server
    /// last told): the server would refuse its push. One lookup while no clearance is read-only.
    /// A signal's tags count too: tagging a cell is writing in its compartment.
    /// Returns whether the file holds no read-only clearance (every write is then cleared).
    @discardableResult
    private func checkClearedToWrite(_ changes: [FieldChange], _ db: Database) throws -> Bool {
        let readOnly = try String.fetchSet(db.cachedStatement(sql: "SELECT compartment FROM clearance WHERE write = 0"))
        guard !readOnly.isEmpty else { return true }
        var records = Set(changes.map(\.record))
        let numbered = try db.cachedStatement(sql: "SELECT r.uuid FROM field f JOIN record r ON r.id = f.record WHERE f.name = 'number' AND f.value = ?")
        for change in changes where store.schemas[change.kind]?.field(change.field)?.valueType == .cellRefs {
            for ref in change.value.list ?? [] {
                if let id = RecordID(ref) { records.insert(id) }
                if let number = CellRef.number(ref) {
                    records.formUnion(try String.fetchAll(numbered, arguments: [StoreCoding.encode(.int(number))]).compactMap(RecordID.init))
                }
            }
        }
        for record in records.sorted() {
            if let compartment = try Self.compartments(of: record, db).first(where: readOnly.contains) {
                throw StoreError.notClearedToWrite(record: record, compartment: compartment)
            }
        }
        return false
    }

    /// Writes `changes` one by one in the open transaction `db` (the write log already folded),
    /// each based on its state in `states`, or on its field's vector here.
    func writeDirectly(_ changes: [FieldChange], basedOn states: [VersionVector?]? = nil, at time: Int64, _ db: Database) throws -> [Version] {
        try checkClearedToWrite(changes, db)
        var batch = try ApplyBatch.begin(store, db)
        let written = try writeInOrder(changes, into: &batch, at: time, basedOn: states)
        _ = try batch.finish()
        return written
    }

    /// A batch without deletes, taken field by field. Values are checked in the batch's order;
    /// the changes before the first invalid one are still taken, so that a change of the wrong
    /// kind before it is the failure reported, as taking them in order would. Either failure
    /// rolls the transaction back.
    private func writeByField(_ changes: [FieldChange], into batch: inout ApplyBatch, at time: Int64) throws -> [Version] {
        var values: [FieldValue] = []
        values.reserveCapacity(changes.count)
        var invalid: (any Error)?
        for change in changes {
            do {
                values.append(try canonical(change))
            } catch {
                invalid = error
                break
            }
        }
        let written = try batch.writeLocal(changes.prefix(values.count), values: values, replica: id, author: analyst, time: time)
        if let invalid { throw invalid }
        return written
    }

    /// Changes taken one by one in the batch's order: one change (`cell set`) when the log is
    /// full or off, and any batch that deletes (a delete's context joins its record's fields as
    /// they are at that point).
    func writeInOrder(_ changes: [FieldChange], into batch: inout ApplyBatch, at time: Int64, basedOn states: [VersionVector?]? = nil) throws -> [Version] {
        // A batch reads its records' states in a few queries; one change (`cell set`) reads
        // only the rows it needs.
        if changes.count > 1 { try batch.preload(fields: changes.lazy.map { ($0.record, $0.field) }) }
        var counter = try batch.counter(of: id)
        var written: [Version] = []
        for (index, change) in changes.enumerated() {
            counter += 1
            let version = Version(
                dot: Dot(replica: id, counter: counter),
                context: try states?[index] ?? (change.field == RecordSchema.deletedFieldName
                    ? try batch.recordVector(record: change.record, kind: change.kind)
                    : batch.fieldVector(record: change.record, kind: change.kind, field: change.field)),
                record: change.record, kind: change.kind, field: change.field,
                value: try canonical(change), author: analyst, time: time
            )
            // Every part of it was built here from checked pieces (the value by canonical(_:),
            // the author when the replica was created): no second validation on this hot path.
            try batch.integrate(version, checked: true)
            written.append(version)
        }
        return written
    }

    /// Folds the single writes waiting in the write log into versions and field states (see
    /// ``write(_:at:)``). Reads and every other write do it first themselves; this is for a
    /// program that wants the cost paid now, before it goes idle.
    public func foldLog() throws {
        try store.foldLog()
    }

    /// The analyst name signs every version: it must pass the same rules a server applies.
    static func checkAuthor(_ name: String) throws {
        guard (1...ValueRules.maxNameBytes).contains(name.utf8.count),
              !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw VersionRefusal.invalid(.invalidVersion("the analyst name '\(name.prefix(40))' must be 1 to \(ValueRules.maxNameBytes) bytes without control characters"))
        }
    }

    func canonical(_ change: FieldChange) throws -> FieldValue {
        guard let schema = store.schemas[change.kind] else { throw VersionRefusal.invalid(.unknownKind(change.kind)) }
        guard let field = schema.field(change.field) else {
            throw VersionRefusal.invalid(.unknownField(kind: change.kind, field: change.field))
        }
        do {
            return try ValueRules.canonical(change.value, for: field, maxBytes: store.maxValueBytes)
        } catch let error as ModelError {
            throw VersionRefusal.invalid(error)
        }
    }

    /// The settings saved by `init` (server, token, analyst).
    public func settings() throws -> ReplicaSettings {
        try store.read { db in try ReplicaSettings.load(db) }
    }

    /// Replaces the settings `init` saved (server, token, CA file); the analyst stays.
    public func saveSettings(_ settings: ReplicaSettings) throws {
        try store.transaction { db in
            try Meta.set("server_url", settings.server, db)
            try Meta.set("token", settings.token, db)
            if settings.caFile.isEmpty {
                try db.execute(sql: "DELETE FROM meta WHERE key = 'ca_file'")
            } else {
                try Meta.set("ca_file", settings.caFile, db)
            }
        }
    }
}
