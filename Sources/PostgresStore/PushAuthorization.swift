import Logging
import PostgresNIO
import SyncModel
import SyncProtocol

/// Places a push's records and checks that every author may write them, inside the push's
/// transaction, by the rules of ``AccessRules`` as every store applies them: a new record takes
/// its home's compartment (the one the push names, else its author's default); once a second
/// compartment exists, a cell's numbers are noted (a signal naming one gains the cell's
/// compartments) and a signal gains the compartments of the cells it names; every author must
/// be cleared to write every compartment of each record they wrote, and of every cell their
/// signal names.
///
/// A team with one compartment pays one statement per push (``PostgresAccess/read(analysts:_:_:)``)
/// and no work per version beyond noting authors. Noting numbers and tags locks the placement
/// head first (see ``PostgresAccess/lockPlacements(_:_:)``), then reads the compartments afresh.
struct PushAuthorization {
    let access: PostgresAccess
    private let named: [RecordID: String]
    /// What the push writes of each record, in record order.
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

    /// Notes what `versions` (the push's new ones, in order) write; `homes` are the compartments
    /// the push names for its new records.
    init(_ versions: [Version], access: PostgresAccess, homes: [RecordID: String]) {
        self.access = access
        named = homes
        for version in versions {
            touched[version.record, default: Touch(kind: version.kind, firstAuthor: version.author)].authors.insert(version.author)
            // Only cells' numbers and signals' tags place records; nothing else is read.
            guard access.compartmented else { continue }
            if version.kind == "cell", version.field == "number", let number = version.value.int {
                touched[version.record]!.numbers.append(number)
            } else if version.kind == "signal", version.field == "cells", let refs = version.value.list {
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
    /// checks their authors' clearances; throws ``AccessRefusal`` for a new record in an unknown
    /// compartment or a record an author may not write, and the transaction then changes
    /// nothing. Returns the compartments of the records written that are not the default alone.
    mutating func authorize(
        _ records: [RecordID: Stored], time: Int64, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> [RecordID: [Int64]] {
        for record in touched.keys.sorted() where records[record]?.isNew == true {
            if let name = named[record], (try? access.compartmentID(name)) == nil { throw AccessRefusal.unknownCompartment(name, record: record) }
        }
        var records = records
        var placements: PlacementChanges?
        var cellsByNumber: [Int64: Set<Int64>] = [:], cellsByID: [RecordID: [Int64]] = [:]
        if touched.values.contains(where: { !$0.numbers.isEmpty || !$0.tagged.isEmpty }) {
            var changes = PlacementChanges(head: try await PostgresAccess.lockPlacements(connection, logger), time: time)
            // What was read before the lock may have been moved since: read it again.
            let ids = touched.keys.map(\.rawValue)
            for try await (id, compartments) in try await connection.query("SELECT id, compartments FROM record WHERE id = ANY(\(ids)::text[])", logger: logger)
                .decode((String, [Int64]).self) {
                if let record = RecordID(id) { records[record]?.compartments = compartments }
            }
            try await noteCellNumbers(records, &changes, connection, logger)
            (cellsByNumber, cellsByID) = try await noteTags(changes, connection, logger)
            placements = changes
        }
        var faults: [(author: String, record: RecordID, compartments: Set<Int64>)] = []
        var pushed: [RecordID: [Int64]] = [:]
        for (record, touch) in touched.sorted(by: { $0.key < $1.key }) {
            guard let entry = records[record] else { continue }
            let before = placements?.current(record.rawValue, stored: entry.compartments) ?? entry.compartments
            var compartments = Set(before)
            if touch.kind == "signal" {
                for number in touch.numbers { compartments.formUnion(cellsByNumber[number] ?? []) }
                for cell in touch.tagged { compartments.formUnion(cellsByID[cell] ?? []) }
            }
            for author in touch.authors.sorted() {
                let denied = compartments.subtracting(access.rules(for: author).write)
                if !denied.isEmpty { faults.append((author, record, denied)) }
            }
            guard faults.isEmpty else { continue }
            let after = compartments.sorted()
            if after != [Compartment.defaultID] { pushed[record] = after }
            if after != before { placements?.place(record.rawValue, stored: entry.compartments, to: after, logged: !entry.isNew) }
        }
        if let first = faults.first {
            let mine = faults.filter { $0.author == first.author }
            throw AccessRefusal.notCleared(analyst: first.author, records: mine.map(\.record),
                                           compartments: access.names(of: Set(mine.flatMap(\.compartments))))
        }
        try await placements?.write(connection, logger)
        return pushed
    }

    /// Notes the numbers the push's cells carry; every signal tagged with a number newly noted
    /// gains the compartments of the cells that carry it.
    private func noteCellNumbers(_ records: [RecordID: Stored], _ changes: inout PlacementChanges, _ connection: PostgresConnection, _ logger: Logger) async throws {
        var numbers: [Int64] = [], cells: [String] = []
        for (record, touch) in touched.sorted(by: { $0.key < $1.key }) where touch.kind == "cell" {
            for number in Set(touch.numbers).sorted() {
                numbers.append(number)
                cells.append(record.rawValue)
            }
        }
        guard !numbers.isEmpty else { return }
        var widening: [Int64: Set<Int64>] = [:]
        let noted = try await connection.query("""
            INSERT INTO cell_number (number, record) SELECT * FROM unnest(\(numbers)::bigint[], \(cells)::text[]) AS u (number, record)
            ORDER BY u.number, u.record COLLATE "C" ON CONFLICT DO NOTHING RETURNING number, record
            """, logger: logger)
        for try await (number, cell) in noted.decode((Int64, String).self) {
            guard let id = RecordID(cell), let stored = records[id] else { continue }
            widening[number, default: []].formUnion(stored.compartments)
        }
        guard !widening.isEmpty else { return }
        let signals = try await connection.query("""
            SELECT t.number, rec.id, rec.compartments FROM signal_tag t JOIN record rec ON rec.id = t.signal
            WHERE t.number = ANY(\(Array(widening.keys))::bigint[]) ORDER BY rec.id COLLATE "C", t.number
            """, logger: logger)
        for try await (number, signal, stored) in signals.decode((Int64, String, [Int64]).self) {
            let now = changes.current(signal, stored: stored)
            let after = Set(now).union(widening[number] ?? [])
            if after.count != now.count { changes.place(signal, stored: stored, to: Array(after), logged: true) }
        }
    }

    /// Notes the numbers the push's signals name, and reads the compartments of every cell that
    /// carries (or carried) one of them, and of every cell they name by id.
    private func noteTags(
        _ changes: PlacementChanges, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> (byNumber: [Int64: Set<Int64>], byID: [RecordID: [Int64]]) {
        var numbers: [Int64] = [], signals: [String] = [], tagged: Set<String> = []
        for (record, touch) in touched.sorted(by: { $0.key < $1.key }) where touch.kind == "signal" {
            for number in Set(touch.numbers).sorted() {
                numbers.append(number)
                signals.append(record.rawValue)
            }
            tagged.formUnion(touch.tagged.map(\.rawValue))
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
        if !tagged.isEmpty {
            let cells = try await connection.query("SELECT id, compartments FROM record WHERE id = ANY(\(tagged.sorted())::text[])", logger: logger)
            for try await (cell, stored) in cells.decode((String, [Int64]).self) {
                if let id = RecordID(cell) { byID[id] = changes.current(cell, stored: stored) }
            }
        }
        return (byNumber, byID)
    }
}
