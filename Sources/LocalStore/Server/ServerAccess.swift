import GRDB
import SyncModel
import SyncProtocol

/// Need-to-know on a server file, inside one transaction: compartments by id and name, access
/// classes, each analyst's ``AccessRules``, and the changes of records' classes (placements),
/// written where a push, a move or a new compartment needs them.
struct ServerAccess {
    private let db: Database
    private let time: Int64
    /// Compartment names by row id.
    private(set) var names: [Int64: String] = [:]
    /// Access classes: each one's sorted compartment ids, by class id.
    private(set) var classes: [Int64: [Int64]] = [:]
    private var classByKey: [String: Int64] = [:]
    private var rulesByAnalyst: [String: AccessRules] = [:]
    private var standing: [String: AnalystStanding] = [:]

    /// Where an analyst's access stands, read with their rules: the version their clearances
    /// are at and the newest placement, so that an answer whose cursor is at both reads no more.
    struct AnalystStanding {
        var accessVersion: UInt64
        var placementHead: UInt64
    }

    init(_ db: Database, time: Int64) throws {
        self.db = db
        self.time = time
        // One statement for both small tables: every sync request reads them.
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT 0, id, name FROM compartment UNION ALL SELECT 1, id, compartments FROM access_class
            """)) {
            if row[0] as Int == 0 {
                names[row[1]] = row[2]
            } else {
                let key: String = row[2]
                classes[row[1]] = Self.compartments(key)
                classByKey[key] = row[1]
            }
        }
    }

    /// Whether a compartment besides the default exists. Until one does, every record is in the
    /// default class and the cell numbers and signal tags are not tracked.
    var compartmented: Bool { names.count > 1 }

    /// The compartment ids of `names`; throws for a name the file does not have.
    func compartmentID(_ name: String) throws -> Int64 {
        guard let id = names.first(where: { $0.value == name })?.key else { throw CompartmentError.notFound(name) }
        return id
    }

    /// The names of a class's compartments, sorted.
    func names(ofClass id: Int64) -> [String] {
        (classes[id] ?? []).compactMap { names[$0] }.sorted()
    }

    /// `analyst`'s clearances and default compartment as stored now.
    mutating func rules(for analyst: String) throws -> AccessRules {
        if let known = rulesByAnalyst[analyst] { return known }
        var read: Set<Int64> = [], write: Set<Int64> = []
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT compartment, write FROM clearance WHERE analyst = ?"), arguments: [analyst]) {
            read.insert(row[0])
            if row[1] as Bool { write.insert(row[0]) }
        }
        let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT home, access_version, (SELECT coalesce(max(seq), 0) FROM placement) FROM analyst WHERE name = ?
            """), arguments: [analyst])
        let rules = AccessRules(read: read, write: write, home: row?[0] as Int64? ?? Compartment.defaultID)
        rulesByAnalyst[analyst] = rules
        standing[analyst] = AnalystStanding(accessVersion: UInt64(row?[1] as Int64? ?? 1), placementHead: UInt64(row?[2] as Int64? ?? 0))
        return rules
    }

    /// `analyst`'s ``AnalystStanding``, read with their rules.
    mutating func standing(of analyst: String) throws -> AnalystStanding {
        if standing[analyst] == nil { _ = try rules(for: analyst) }
        return standing[analyst] ?? AnalystStanding(accessVersion: 1, placementHead: 0)
    }

    /// The id of the class of exactly `compartments`, made if no record had it yet.
    mutating func classID(_ compartments: Set<Int64>) throws -> Int64 {
        let key = compartments.sorted().map(String.init).joined(separator: ",")
        if let known = classByKey[key] { return known }
        try db.execute(sql: "INSERT INTO access_class (compartments) VALUES (?)", arguments: [key])
        let id = db.lastInsertedRowID
        classByKey[key] = id
        classes[id] = compartments.sorted()
        return id
    }

    /// Gives the record at `row` the class `after`, logging the placement replicas follow.
    func place(record row: Int64, from before: Int64, to after: Int64) throws {
        guard before != after else { return }
        try db.cachedStatement(sql: "UPDATE record SET class = ? WHERE id = ?").execute(arguments: [after, row])
        try db.cachedStatement(sql: "INSERT INTO placement (record, before, after, time) VALUES (?, ?, ?, ?)")
            .execute(arguments: [row, before, after, time])
    }

    /// Records that a cell at `row` carries `number`; signals tagged with that number gain the
    /// cell's compartments (the strictest wins).
    mutating func noteCellNumber(_ number: Int64, cell row: Int64, cellClass: Int64) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO cell_number (number, record) VALUES (?, ?)").execute(arguments: [number, row])
        guard db.changesCount > 0 else { return }
        try widenSignals(taggedWith: [number], by: classes[cellClass] ?? [])
    }

    /// Records that the signal at `row` names `numbers`; returns the compartments of every cell
    /// that carries (or ever carried) one of them.
    mutating func noteTags(_ numbers: [Int64], signal row: Int64) throws -> Set<Int64> {
        var compartments: Set<Int64> = []
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO signal_tag (number, signal) VALUES (?, ?)")
        let cells = try db.cachedStatement(sql: "SELECT DISTINCT rec.class FROM cell_number n JOIN record rec ON rec.id = n.record WHERE n.number = ?")
        for number in numbers {
            try insert.execute(arguments: [number, row])
            for cellClass in try Int64.fetchAll(cells, arguments: [number]) { compartments.formUnion(classes[cellClass] ?? []) }
        }
        return compartments
    }

    /// Records that the signal at `row` names the cells `ids`; returns the compartments of those
    /// the server holds (a cell made later widens the signal then, see ``widenSignals(naming:by:)``).
    mutating func noteRefs(_ ids: [RecordID], signal row: Int64) throws -> Set<Int64> {
        var compartments: Set<Int64> = []
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO signal_ref (cell, signal) VALUES (?, ?)")
        let cell = try db.cachedStatement(sql: "SELECT class FROM record WHERE uuid = ?")
        for id in ids {
            try insert.execute(arguments: [id.rawValue, row])
            if let cellClass = try Int64.fetchOne(cell, arguments: [id.rawValue]) { compartments.formUnion(classes[cellClass] ?? []) }
        }
        return compartments
    }

    /// Every signal tagged with one of `numbers` gains `compartments`.
    mutating func widenSignals(taggedWith numbers: [Int64], by compartments: [Int64]) throws {
        let signals = try db.cachedStatement(sql: "SELECT DISTINCT signal FROM signal_tag WHERE number = ?")
        for number in numbers { try widen(try Int64.fetchAll(signals, arguments: [number]), by: compartments) }
    }

    /// Every signal naming the cell `id` gains `compartments`.
    mutating func widenSignals(naming id: RecordID, by compartments: [Int64]) throws {
        let signals = try db.cachedStatement(sql: "SELECT signal FROM signal_ref WHERE cell = ?")
        try widen(try Int64.fetchAll(signals, arguments: [id.rawValue]), by: compartments)
    }

    private mutating func widen(_ signals: [Int64], by compartments: [Int64]) throws {
        let current = try db.cachedStatement(sql: "SELECT class FROM record WHERE id = ?")
        for signal in signals {
            guard let before = try Int64.fetchOne(current, arguments: [signal]) else { continue }
            let after = try classID(Set(classes[before] ?? []).union(compartments))
            try place(record: signal, from: before, to: after)
        }
    }

    /// The class the file holds for the record at `row`.
    func currentClass(of row: Int64) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT class FROM record WHERE id = ?"), arguments: [row]) ?? Compartment.defaultID
    }

    /// The numbers a cell at `row` carries or carried.
    func numbers(ofCell row: Int64) throws -> [Int64] {
        try Int64.fetchAll(db.cachedStatement(sql: "SELECT number FROM cell_number WHERE record = ?"), arguments: [row])
    }

    /// Fills the cell numbers and signal tags from every stored version, when the file gains its
    /// second compartment (until then they are not kept, see ``compartmented``).
    static func fillTags(_ db: Database) throws {
        let numbers = try db.makeStatement(sql: "INSERT OR IGNORE INTO cell_number (number, record) VALUES (?, ?)")
        let tags = try db.makeStatement(sql: "INSERT OR IGNORE INTO signal_tag (number, signal) VALUES (?, ?)")
        let refs = try db.makeStatement(sql: "INSERT OR IGNORE INTO signal_ref (cell, signal) VALUES (?, ?)")
        let rows = try Row.fetchCursor(db, sql: """
            SELECT record, kind, value FROM version WHERE (kind = 'cell' AND field = 'number') OR (kind = 'signal' AND field = 'cells')
            """)
        while let row = try rows.next() {
            let record: Int64 = row[0]
            let value = try StoreCoding.decodeValue(row[2] as String)
            if (row[1] as String) == "cell", let number = value.int {
                try numbers.execute(arguments: [number, record])
            } else {
                for ref in value.list ?? [] {
                    if let number = CellRef.number(ref) { try tags.execute(arguments: [number, record]) }
                    if let id = RecordID(ref) { try refs.execute(arguments: [id.rawValue, record]) }
                }
            }
        }
    }

    private static func compartments(_ key: String) -> [Int64] {
        key.split(separator: ",").compactMap { Int64($0) }
    }
}
