import GRDB
public import SyncModel

/// One record's new versions: per field, how many each author wrote.
public struct RecordArrivals: Sendable, Equatable {
    /// The record and its kind.
    public var id: RecordID
    public var kind: String
    /// Field → author → versions.
    public var fields: [String: [String: Int]]
    /// The replica held none of its versions at the point: a new record.
    public var isNew: Bool
}

/// What arrived in a replica since a point, read in one snapshot: counted, never loaded, so a
/// first look after a join of a million versions holds a count per record, field and author.
public struct Arrivals: Sendable {
    /// Records with versions of other replicas (not this file's own, now or before a rekey),
    /// in record order.
    public var records: [RecordArrivals]
    /// How many versions, and by whom.
    public var versions: Int
    public var authors: Set<String>
    /// Records with any version past the point, the analyst's own included, and which of them
    /// the replica held versions of before it: only their conflicts can have opened or closed.
    public var touched: Set<RecordID> = []
    public var heldBefore: Set<RecordID> = []
    /// The state read with them: what a look that showed them marks.
    public var now: NewsMark
}

/// Counts arrivals as they are read.
struct ArrivalCount {
    var records: [RecordID: RecordArrivals] = [:]
    var versions = 0
    var authors: Set<String> = []

    /// Counts a row `record uuid, kind, field, author` starting at `offset`.
    mutating func count(_ row: Row, offset: Int) throws {
        guard let record = RecordID(row[offset] as String) else { throw StoreError.damaged("the database holds a malformed record id") }
        let (field, author): (String, String) = (row[offset + 2], row[offset + 3])
        records[record, default: RecordArrivals(id: record, kind: row[offset + 1], fields: [:], isNew: false)].fields[field, default: [:]][author, default: 0] += 1
        versions += 1
        authors.insert(author)
    }

    func arrivals(now: NewsMark, touched: Set<RecordID>, heldBefore: Set<RecordID>) -> Arrivals {
        var records = records
        for id in records.keys { records[id]?.isNew = !heldBefore.contains(id) }
        return Arrivals(records: records.values.sorted { $0.id < $1.id }, versions: versions, authors: authors,
                        touched: touched, heldBefore: heldBefore, now: now)
    }
}
