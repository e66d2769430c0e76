import Logging
import PostgresNIO
import SyncModel
import SyncProtocol

/// Places a push's records and checks that every author may write them, inside the push's
/// transaction, by the rules of ``AccessRules`` as every store applies them, in an order that
/// makes every lookup see the push's own records: a new record takes its home's compartment (the
/// one the push names, else its author's default); once a second compartment exists, the cells
/// come next (their numbers noted: a signal naming one, by number, gains the cell's
/// compartments, and a new cell's compartments go to the signals that named it by id before it
/// existed); then each record's compartments are read as they stand, a signal gaining those of
/// the cells it names. Every author must be cleared to write every compartment of each record
/// they wrote, and of every cell their signal names.
///
/// A team with one compartment pays no statement for it (the access is read with the push's
/// owners, ``PostgresAccess/read(analysts:claimed:_:_:)``) and no work per version beyond noting
/// authors. Noting numbers, tags and new cells locks the
/// placement head first (see ``PostgresAccess/lockPlacements(_:_:)``), then reads the records'
/// compartments afresh.
struct PushAuthorization {
    let access: PostgresAccess
    private let named: [RecordID: String]
    /// What the push writes of each record.
    private var touched: [RecordID: Touch] = [:]

    /// A record as the push found or made it.
    struct Stored: Sendable {
        var kind: String
        var compartments: [Int64]
        var isNew: Bool
    }

    /// A record's new versions in this push: the author of its first (whose default compartment
    /// a new record goes to), every author, and the cell numbers a cell's carry or a signal's
    /// name, and the cells a signal names by id.
    private struct Touch {
        var kind: String
        var firstAuthor: String
        var authors: Set<String> = []
        var numbers: [Int64] = []
        var tagged: [RecordID] = []
    }

    /// Notes what `versions` (the push's new ones, in order, by `authors`) write; `homes` are
    /// the compartments the push names for its new records. A team with one compartment whose
    /// authors may all write it, naming no other, has nothing to place or refuse: nothing is
    /// noted, and every record stays in the default compartment.
    init(_ versions: [Version], authors: [String], access: PostgresAccess, homes: [RecordID: String]) {
        self.access = access
        named = homes
        let unrestricted = !access.compartmented && homes.values.allSatisfy { $0 == Compartment.defaultName }
            && authors.allSatisfy { access.rules(for: $0).write.contains(Compartment.defaultID) }
        guard !unrestricted else { return }
        for version in versions {
            touched[version.record, default: Touch(kind: version.kind, firstAuthor: version.author)].authors.insert(version.author)
            // Only cells' numbers and signals' tags place records; nothing else is read.
            guard access.compartmented else { continue }
            if version.kind == RecordSchema.cell.kind, version.field == "number", let number = version.value.int {
                touched[version.record]!.numbers.append(number)
            } else if version.kind == RecordSchema.signal.kind, version.field == "cells", let refs = version.value.list {
                for ref in refs {
                    if let number = CellRef.number(ref) { touched[version.record]!.numbers.append(number) } else if let id = RecordID(ref) { touched[version.record]!.tagged.append(id) }
                }
            }
        }
    }

    /// The compartments each record goes to if the push makes it. A name this store does not
    /// have is left out here and refused by ``authorize(_:time:_:_:)`` if the record is new.
    func homes() -> [RecordID: [Int64]] {
        var homes: [RecordID: [Int64]] = [:]
        for (record, touch) in touched {
            if let name = named[record] {
                if let id = try? access.compartmentID(name) { homes[record] = [id] }
            } else {
                homes[record] = [access.rules(for: touch.firstAuthor).home]
            }
        }
        return homes
    }

    /// Places the push's records (`records`, as stored once the push made its new ones) and
    /// checks their authors' clearances; throws ``AccessRefusal`` for a record an author may
    /// not write (or a new one placed in a compartment the store lacks, refused alike so that a
    /// refusal does not tell which compartments exist), and the transaction then changes
    /// nothing.
    mutating func authorize(_ records: [RecordID: Stored], time: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws {
        for record in touched.keys.sorted() where records[record]?.isNew == true {
            if let name = named[record], (try? access.compartmentID(name)) == nil {
                throw AccessRefusal.notCleared(analyst: touched[record]!.firstAuthor, records: [record], compartments: [name])
            }
        }
        var records = records
        var placements: PlacementChanges?
        var cellsByNumber: [Int64: Set<Int64>] = [:], cellsByID: [RecordID: [Int64]] = [:]
        let notes = touched.contains { record, touch in
            !touch.numbers.isEmpty || !touch.tagged.isEmpty || (touch.kind == RecordSchema.cell.kind && records[record]?.isNew == true)
        }
        if access.compartmented && notes {
            var changes = PlacementChanges(head: try await PostgresAccess.lockPlacements(connection, logger), time: time)
            // What was read before the lock may have been moved since: read it again.
            let ids = touched.keys.map(\.rawValue)
            for try await (id, compartments) in try await connection.query("SELECT id, compartments FROM record WHERE id = ANY(\(ids)::text[])", logger: logger)
                .decode((String, [Int64]).self) {
                if let record = RecordID(id) { records[record]?.compartments = compartments }
            }
            try await noteCells(records, &changes, connection, logger)
            (cellsByNumber, cellsByID) = try await noteTags(changes, connection, logger)
            placements = changes
        }
        var faults: [(author: String, record: RecordID, compartments: Set<Int64>)] = []
        for (record, touch) in touched.sorted(by: { $0.key < $1.key }) {
            guard let entry = records[record] else { continue }
            let before = placements?.current(record.rawValue, stored: entry.compartments) ?? entry.compartments
            var compartments = Set(before)
            if touch.kind == RecordSchema.signal.kind {
                for number in touch.numbers { compartments.formUnion(cellsByNumber[number] ?? []) }
                for cell in touch.tagged { compartments.formUnion(cellsByID[cell] ?? []) }
            }
            for author in touch.authors.sorted() {
                let denied = compartments.subtracting(access.rules(for: author).write)
                if !denied.isEmpty { faults.append((author, record, denied)) }
            }
            guard faults.isEmpty else { continue }
            let after = compartments.sorted()
            if after != before { placements?.place(record.rawValue, stored: entry.compartments, to: after, logged: !entry.isNew) }
        }
        if let first = faults.first {
            let mine = faults.filter { $0.author == first.author }
            // Only the compartments the author reads are named: a refusal is no oracle for others.
            let read = access.rules(for: first.author).read
            throw AccessRefusal.notCleared(analyst: first.author, records: mine.map(\.record),
                                           compartments: access.names(of: Set(mine.flatMap(\.compartments)).filter(read.contains)))
        }
        try await placements?.write(connection, logger)
    }

    /// Notes the numbers the push's cells carry: every signal tagged with a number newly noted
    /// gains the compartments of the cell that carries it; every signal that named a new cell
    /// by id (before the store held it) gains the cell's compartments.
    private func noteCells(_ records: [RecordID: Stored], _ changes: inout PlacementChanges, _ connection: PostgresConnection, _ logger: Logger) async throws {
        var numbers: [Int64] = [], cells: [String] = [], made: [String] = []
        for (record, touch) in touched.sorted(by: { $0.key < $1.key }) where touch.kind == RecordSchema.cell.kind {
            for number in Set(touch.numbers).sorted() {
                numbers.append(number)
                cells.append(record.rawValue)
            }
            if records[record]?.isNew == true { made.append(record.rawValue) }
        }
        // What each signal gains: by number, from the cells newly noted with it; by id, from new cells.
        var byNumber: [Int64: Set<Int64>] = [:], byCell: [String: [Int64]] = [:]
        if !numbers.isEmpty {
            let noted = try await connection.query("""
                INSERT INTO cell_number (number, record) SELECT * FROM unnest(\(numbers)::bigint[], \(cells)::text[]) AS u (number, record)
                ORDER BY u.number, u.record COLLATE "C" ON CONFLICT DO NOTHING RETURNING number, record
                """, logger: logger)
            for try await (number, cell) in noted.decode((Int64, String).self) {
                guard let id = RecordID(cell), let stored = records[id] else { continue }
                byNumber[number, default: []].formUnion(stored.compartments)
            }
        }
        for cell in made { byCell[cell] = RecordID(cell).flatMap { records[$0]?.compartments } }
        guard !byNumber.isEmpty || !byCell.isEmpty else { return }
        let signals = try await connection.query("""
            SELECT t.number, NULL, rec.id, rec.compartments FROM signal_tag t JOIN record rec ON rec.id = t.signal WHERE t.number = ANY(\(Array(byNumber.keys))::bigint[])
            UNION ALL
            SELECT NULL, r.cell, rec.id, rec.compartments FROM signal_ref r JOIN record rec ON rec.id = r.signal WHERE r.cell = ANY(\(Array(byCell.keys))::text[])
            ORDER BY 3, 1, 2
            """, logger: logger)
        for try await (number, cell, signal, stored) in signals.decode((Int64?, String?, String, [Int64]).self) {
            let gained = number.flatMap { byNumber[$0] } ?? Set(cell.flatMap { byCell[$0] } ?? [])
            let now = changes.current(signal, stored: stored)
            let after = Set(now).union(gained)
            if after.count != now.count { changes.place(signal, stored: stored, to: Array(after), logged: true) }
        }
    }

    /// Notes the cells the push's signals name, by number and by id, and reads the compartments
    /// of every cell that carries (or carried) one of those numbers, and of every cell named by id.
    private func noteTags(
        _ changes: PlacementChanges, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> (byNumber: [Int64: Set<Int64>], byID: [RecordID: [Int64]]) {
        var numbers: [Int64] = [], signals: [String] = [], refs: [String] = [], referrers: [String] = []
        for (record, touch) in touched.sorted(by: { $0.key < $1.key }) where touch.kind == RecordSchema.signal.kind {
            for number in Set(touch.numbers).sorted() {
                numbers.append(number)
                signals.append(record.rawValue)
            }
            for cell in Set(touch.tagged).sorted() {
                refs.append(cell.rawValue)
                referrers.append(record.rawValue)
            }
        }
        var byNumber: [Int64: Set<Int64>] = [:], byID: [RecordID: [Int64]] = [:]
        if !numbers.isEmpty {
            try await connection.query("""
                INSERT INTO signal_tag (number, signal) SELECT * FROM unnest(\(numbers)::bigint[], \(signals)::text[]) AS u (number, signal)
                ORDER BY u.number, u.signal COLLATE "C" ON CONFLICT DO NOTHING
                """, logger: logger)
            let cells = try await connection.query("""
                SELECT n.number, rec.id, rec.compartments FROM cell_number n JOIN record rec ON rec.id = n.record WHERE n.number = ANY(\(numbers)::bigint[])
                """, logger: logger)
            for try await (number, cell, stored) in cells.decode((Int64, String, [Int64]).self) {
                byNumber[number, default: []].formUnion(changes.current(cell, stored: stored))
            }
        }
        if !refs.isEmpty {
            // Kept whether or not the cell is held yet: a cell made later widens the signal then.
            try await connection.query("""
                INSERT INTO signal_ref (cell, signal) SELECT * FROM unnest(\(refs)::text[], \(referrers)::text[]) AS u (cell, signal)
                ORDER BY u.cell COLLATE "C", u.signal COLLATE "C" ON CONFLICT DO NOTHING
                """, logger: logger)
            let cells = try await connection.query("SELECT id, compartments FROM record WHERE id = ANY(\(Array(Set(refs)))::text[])", logger: logger)
            for try await (cell, stored) in cells.decode((String, [Int64]).self) {
                if let id = RecordID(cell) { byID[id] = changes.current(cell, stored: stored) }
            }
        }
        return (byNumber, byID)
    }
}
