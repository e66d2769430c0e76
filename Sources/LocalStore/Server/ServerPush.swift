import GRDB
import SyncModel
import SyncProtocol

/// Stores one push on a server file, inside the exchange's write transaction: the push is
/// sorted by the rule every store shares (``PushSort``), held versions are compared with what
/// is stored, and new ones are appended to `version` and to the feed, their records added with
/// their kinds. No field is merged: replicas do that.
struct ServerPush {
    private let db: Database
    /// Replicas looked up or added, by id: their row, stored counter and id's bytes (for the
    /// feed's chain, made once per replica rather than per version).
    private var replicas: [ReplicaID: Replica] = [:]
    /// Records looked up or added, by id: their row, kind and access class, and whether this
    /// push adds them.
    private var records: [RecordID: RecordEntry] = [:]
    /// What the push writes of each record, for need-to-know (see ``authorize(_:)``).
    private var touched: [Int64: Touch] = [:]
    private var access: ServerAccess
    private let homes: [RecordID: String]
    private var nextRecordRow: Int64?
    private var recordRows = RowBuffer<RecordRowInsert>()
    private var versionRows = RowBuffer<VersionRowInsert>()
    private var feedRows = RowBuffer<FeedRowInsert>()
    private var clockPairs: [(row: Int64, counter: UInt64)] = []

    private struct Replica {
        var row: Int64
        var counter: UInt64
        var bytes: [UInt8]
    }

    private struct RecordEntry {
        var row: Int64
        var kind: String
        var accessClass: Int64
        var isNew: Bool
    }

    /// A record's new versions in this push: their authors, and the cell numbers a cell's carry
    /// or a signal's name.
    private struct Touch {
        var id: RecordID
        var authors: Set<String> = []
        var numbers: [Int64] = []
        var tagged: [RecordID] = []
    }

    private init(_ db: Database, access: ServerAccess, homes: [RecordID: String]) {
        self.db = db
        self.access = access
        self.homes = homes
    }

    /// Stores `prepared` in the open transaction `db`; returns how many versions were new and how
    /// many were held already. `homes` places new records outside their authors' default
    /// compartments. Throws ``VersionRefusal`` for a gap, a reused dot or a record of another
    /// kind and ``AccessRefusal`` for a record its author may not write, and the whole
    /// transaction then changes nothing.
    /// `withdrawn` are dots their owner set aside (see ``PushSort``).
    static func store(
        _ prepared: PreparedVersions, _ db: Database, access: inout ServerAccess, homes: [RecordID: String] = [:], withdrawn: Set<Dot> = []
    ) throws -> ApplyReport {
        var push = ServerPush(db, access: access, homes: homes)
        defer { access = push.access }
        return try push.store(prepared, withdrawn: withdrawn)
    }

    private mutating func store(_ prepared: PreparedVersions, withdrawn: Set<Dot>) throws -> ApplyReport {
        // Read in place: a push of 20,000 versions is not copied into an array of its own.
        let sort = try PushSort(prepared.entries.lazy.map(\.version), withdrawn: withdrawn) { try replica($0).counter }
        try sort.checkHeld { try storedVersion($0) }
        var report = ApplyReport()
        report.duplicates = sort.duplicates
        guard !sort.new.isEmpty else {
            try raiseCounters(sort)
            return report
        }
        let defaultOnly = try writesDefaultOnly(sort.new)
        var head = try ServerFeed.head(db)
        for (version, position) in zip(sort.new, sort.newPositions) {
            let replica = try replica(version.dot.replica)
            let replicaRow = replica.row
            let record = try recordRow(version.record, kind: version.kind, author: version.author)
            if !defaultOnly { note(version, record: record) }
            if versionRows.flushesOnNextAppend { try recordRows.flush(db) }
            try versionRows.append(VersionRowInsert(
                replica: replicaRow, counter: Int64(version.dot.counter), record: record, kind: version.kind,
                field: version.field, context: try clockBlob(version.context), value: prepared.entries[position].valueText,
                author: version.author, time: version.time
            ), db)
            head = head.advanced(replicaBytes: replica.bytes, counter: version.dot.counter)
            try feedRows.append(FeedRowInsert(seq: Int64(head.seq), replica: replicaRow, counter: Int64(version.dot.counter),
                                              chain: Int64(bitPattern: head.chain)), db)
        }
        try recordRows.flush(db)
        try versionRows.flush(db)
        try feedRows.flush(db)
        if !defaultOnly { try authorize() }
        try raiseCounters(sort)
        report.new = sort.new.count
        return report
    }

    /// Whether the push needs no placing: a team with the default compartment alone, homes that
    /// name no other, and authors who may all write it. Then every record stays in `default` and
    /// nothing is noted per version; otherwise ``authorize()`` places and checks each record.
    private mutating func writesDefaultOnly(_ versions: [Version]) throws -> Bool {
        guard !access.compartmented, homes.values.allSatisfy({ $0 == Compartment.defaultName }) else { return false }
        var authors: Set<String> = []
        var last: String?
        for version in versions where version.author != last {
            last = version.author
            authors.insert(version.author)
        }
        for author in authors where !(try access.rules(for: author).write.contains(Compartment.defaultID)) { return false }
        return true
    }

    private func raiseCounters(_ sort: PushSort) throws {
        let update = try db.cachedStatement(sql: "UPDATE replica SET counter = ? WHERE id = ?")
        for (replica, counter) in sort.raised {
            try update.execute(arguments: [Int64(counter), replicas[replica]!.row])
        }
    }

    /// The replica's row and stored counter; a replica not held yet gets a row at counter 0.
    private mutating func replica(_ id: ReplicaID) throws -> Replica {
        if let known = replicas[id] { return known }
        let entry: Replica
        if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, counter FROM replica WHERE uuid = ?"), arguments: [id.rawValue]) {
            entry = Replica(row: row[0], counter: UInt64(row[1] as Int64), bytes: id.bytes)
        } else {
            try db.cachedStatement(sql: "INSERT INTO replica (uuid, counter) VALUES (?, 0)").execute(arguments: [id.rawValue])
            entry = Replica(row: db.lastInsertedRowID, counter: 0, bytes: id.bytes)
        }
        replicas[id] = entry
        return entry
    }

    /// The record's row, after checking it is of `kind`; a record not held yet is added, in
    /// the compartment `homes` names or else its author's default one.
    private mutating func recordRow(_ id: RecordID, kind: String, author: String) throws -> Int64 {
        if records[id] == nil,
           let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, kind, class FROM record WHERE uuid = ?"), arguments: [id.rawValue]) {
            records[id] = RecordEntry(row: row[0], kind: row[1], accessClass: row[2], isNew: false)
        }
        if let known = records[id] {
            guard known.kind == kind else { throw VersionRefusal.kindMismatch(record: id, known: known.kind, got: kind) }
            return known.row
        }
        let home: Int64
        if let name = homes[id] {
            // A name the server lacks is refused as one the author may not write: a refusal
            // does not tell which compartments exist.
            guard let named = try? access.compartmentID(name) else { throw AccessRefusal.notCleared(analyst: author, records: [id], compartments: [name]) }
            home = named
        } else {
            home = try access.rules(for: author).home
        }
        // The row id SQLite would give, so that the row can wait in `recordRows` with the others.
        if nextRecordRow == nil { nextRecordRow = (try Int64.fetchOne(db, sql: "SELECT max(id) FROM record") ?? 0) + 1 }
        let row = nextRecordRow!
        nextRecordRow = row + 1
        try recordRows.append(RecordRowInsert(id: row, uuid: id, kind: kind), db)
        records[id] = RecordEntry(row: row, kind: kind, accessClass: try access.classID([home]), isNew: true)
        return row
    }

    /// Notes what a new version writes, for ``authorize()``.
    private mutating func note(_ version: Version, record row: Int64) {
        touched[row, default: Touch(id: version.record)].authors.insert(version.author)
        // Only cells' numbers and signals' tags place records; nothing else is read.
        guard access.compartmented else { return }
        if version.kind == "cell", version.field == "number", let number = version.value.int {
            touched[row]!.numbers.append(number)
        } else if version.kind == "signal", version.field == "cells", let refs = version.value.list {
            for ref in refs {
                if let number = CellRef.number(ref) { touched[row]!.numbers.append(number) } else if let id = RecordID(ref) { touched[row]!.tagged.append(id) }
            }
        }
    }

    /// Places the push's records and checks that every author may write them (see
    /// ``AccessRules``), in an order that makes every lookup see this push's own records: new
    /// records take their homes' classes first; then cells (their numbers noted: a signal
    /// naming one, by number or by id, gains the cell's compartments); then each record's class
    /// is read as it stands, a signal gaining the compartments of the cells it names, each of
    /// which its author must be cleared to write.
    private mutating func authorize() throws {
        let setClass = try db.cachedStatement(sql: "UPDATE record SET class = ? WHERE id = ?")
        for entry in records.values where entry.isNew && entry.accessClass != Compartment.defaultID {
            try setClass.execute(arguments: [entry.accessClass, entry.row])
        }
        let order = touched.sorted { $0.key < $1.key }
        if access.compartmented {
            for (row, touch) in order where records[touch.id]!.kind == RecordSchema.cell.kind {
                let entry = records[touch.id]!
                for number in touch.numbers { try access.noteCellNumber(number, cell: row, cellClass: entry.accessClass) }
                if entry.isNew { try access.widenSignals(naming: touch.id, by: access.classes[entry.accessClass] ?? []) }
            }
        }
        var faults: [(author: String, record: RecordID, compartments: Set<Int64>)] = []
        for (row, touch) in order {
            let entry = records[touch.id]!
            // Read again: a cell of this push may have widened the signal already.
            let before = try access.currentClass(of: row)
            var compartments = Set(access.classes[before] ?? [])
            if entry.kind == RecordSchema.signal.kind && access.compartmented {
                compartments.formUnion(try access.noteTags(touch.numbers, signal: row))
                compartments.formUnion(try access.noteRefs(touch.tagged, signal: row))
            }
            for author in touch.authors.sorted() {
                let rules = try access.rules(for: author)
                let denied = compartments.filter { !rules.write.contains($0) }
                if !denied.isEmpty { faults.append((author, touch.id, denied)) }
            }
            guard faults.isEmpty else { continue }
            let after = try access.classID(compartments)
            if entry.isNew {
                if after != before { try setClass.execute(arguments: [after, row]) }
            } else {
                try access.place(record: row, from: before, to: after)
            }
        }
        if let first = faults.first {
            let mine = faults.filter { $0.author == first.author }
            // Only the compartments the author reads are named: a refusal is no oracle for others.
            let rules = try access.rules(for: first.author)
            let named = Set(mine.flatMap(\.compartments)).filter(rules.read.contains).compactMap { access.names[$0] }.sorted()
            throw AccessRefusal.notCleared(analyst: first.author, records: mine.map(\.record), compartments: named)
        }
    }

    /// `vector` as stored: its replicas by row id, in row order (a replica first named here gets a row).
    private mutating func clockBlob(_ vector: VersionVector) throws -> [UInt8] {
        var pairs = clockPairs
        clockPairs = []
        defer { clockPairs = pairs }
        return try ClockBlob.encode(vector, scratch: &pairs) { try replica($0).row }
    }

    /// The version stored at `dot`, or nil.
    private mutating func storedVersion(_ dot: Dot) throws -> Version? {
        let statement = try db.cachedStatement(sql: "SELECT \(VersionRow.columns) FROM \(VersionRow.tables) WHERE v.replica = ? AND v.counter = ?")
        guard let row = try Row.fetchOne(statement, arguments: [try replica(dot.replica).row, Int64(dot.counter)]) else { return nil }
        var names = ReplicaNames()
        return try VersionRow.decode(row, replica: dot.replica, offset: 0, names: &names, db)
    }
}
