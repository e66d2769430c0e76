// Speed machinery: clocks stored as varint pairs of replica row ids, about 4 bytes per replica instead of 40.
import Foundation
import GRDB
import GRDBSQLite
import SyncModel

/// The stored form of clocks (a version's context, a field's joined vector and heads): a tag
/// byte, then `(replica row id, counter)` pairs as LEB128 varints.
///
/// Naming replicas by their row in the `replica` table instead of 36 characters of uuid text
/// makes a clock of three replicas about 10 bytes instead of 130, so field states and versions
/// take a third of the pages. Row ids are this file's own: a clock is read back through the
/// `replica` table (see ``ReplicaNames``), and nothing compares clocks of two files as bytes.
enum ClockBlob {
    /// Never the first byte of the text clocks files held before (a hex digit), nor of UTF-8.
    static let tag: UInt8 = 0xC1

    /// `vector` as stored: its replicas by the row id `row` gives each (adding a row for a
    /// replica first named here), in row order. `scratch` is reused from call to call, so that
    /// encoding a clock allocates nothing but the blob.
    static func encode(
        _ vector: VersionVector, scratch: inout [(row: Int64, counter: UInt64)], row: (ReplicaID) throws -> Int64
    ) rethrows -> [UInt8] {
        scratch.removeAll(keepingCapacity: true)
        for entry in vector.entries { scratch.append((try row(entry.replica), entry.counter)) }
        if scratch.count > 1 { scratch.sort { $0.row < $1.row } }
        return encode(scratch)
    }

    /// `pairs` in the order given; vectors sort theirs by row id, so equal vectors are equal bytes.
    static func encode(_ pairs: some Sequence<(row: Int64, counter: UInt64)>) -> [UInt8] {
        var bytes: [UInt8] = [tag]
        bytes.reserveCapacity(16)
        for (row, counter) in pairs {
            appendVarint(UInt64(row), to: &bytes)
            appendVarint(counter, to: &bytes)
        }
        return bytes
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Calls `body` with each pair of a stored clock (nil for NULL); a malformed clock throws and
    /// is never misread.
    static func forEachPair(in bytes: UnsafeRawBufferPointer?, _ body: (Int64, UInt64) throws -> Void) throws {
        guard let bytes, bytes.first == tag else { throw malformed }
        var index = 1
        while index < bytes.count {
            let row = try varint(bytes, &index)
            guard index < bytes.count, row > 0, row <= UInt64(Int64.max) else { throw malformed }
            try body(Int64(row), try varint(bytes, &index))
        }
    }

    /// Calls `body` with the bytes at column `index` of `statement`'s current row, in SQLite's
    /// own buffer (nil for NULL). GRDB's `Row.withUnsafeData` wraps them in a `Data` first, which
    /// allocated and freed a storage object per clock: 8% of the server's instructions serving
    /// a first sync's pages.
    static func withColumn<T>(_ statement: SQLiteStatement, _ index: Int, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
        let column = Int32(index)
        guard sqlite3_column_type(statement, column) != SQLITE_NULL else { return try body(nil) }
        // A zero-length blob has no pointer; it is still not NULL.
        let start = sqlite3_column_blob(statement, column)
        let count = Int(sqlite3_column_bytes(statement, column))
        return try body(UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : count))
    }

    /// How many pairs a stored clock holds (a field's number of heads), without naming replicas.
    static func count(_ data: Data?) throws -> Int {
        var count = 0
        try data.withUnsafeOptionalBytes { try forEachPair(in: $0) { _, _ in count += 1 } }
        return count
    }

    private static func varint(_ bytes: UnsafeRawBufferPointer, _ index: inout Int) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            guard shift < 63 || (shift == 63 && byte <= 1) else { throw malformed }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw malformed
    }

    static let malformed = StoreError.damaged("the database holds a malformed clock")
}

/// The replicas that stored clocks name by row id, each looked up once per read or transaction.
///
/// Not shared between transactions: a row added by a transaction that rolls back may be
/// given to another replica later.
struct ReplicaNames {
    private var ids: [Int64: ReplicaID] = [:]

    /// The replica in row `row` of the `replica` table.
    mutating func id(row: Int64, _ db: Database) throws -> ReplicaID {
        if let known = ids[row] { return known }
        guard let text = try String.fetchOne(db.cachedStatement(sql: "SELECT uuid FROM replica WHERE id = ?"), arguments: [row]),
              let id = ReplicaID(text) else {
            throw StoreError.damaged("a stored version or clock names a replica the database does not hold")
        }
        ids[row] = id
        return id
    }

    /// Records a row known from elsewhere (a batch adding or reading a replica).
    mutating func note(row: Int64, id: ReplicaID) {
        ids[row] = id
    }

    /// The vector stored in `bytes`.
    mutating func vector(bytes: UnsafeRawBufferPointer?, _ db: Database) throws -> VersionVector {
        var entries: [VersionVector.Entry] = []
        try ClockBlob.forEachPair(in: bytes) { row, counter in entries.append(.init(replica: try id(row: row, db), counter: counter)) }
        return VersionVector(unsorted: entries)
    }

    /// The dots stored in `bytes`, in stored order.
    mutating func dots(bytes: UnsafeRawBufferPointer?, _ db: Database) throws -> [Dot] {
        var dots: [Dot] = []
        try ClockBlob.forEachPair(in: bytes) { row, counter in dots.append(Dot(replica: try id(row: row, db), counter: counter)) }
        return dots
    }

    /// Reads the vector at column `index` of `row`: in place when `statement` is the cursor's
    /// statement whose current row `row` is, else through GRDB's `Data`.
    mutating func vector(_ row: Row, _ index: Int, in statement: SQLiteStatement? = nil, _ db: Database) throws -> VersionVector {
        if let statement { return try ClockBlob.withColumn(statement, index) { try vector(bytes: $0, db) } }
        return try row.withUnsafeData(atIndex: index) { data in try data.withUnsafeOptionalBytes { try vector(bytes: $0, db) } }
    }

    /// Reads the dots at column `index` of `row`, in place when `statement` is given (see ``vector(_:_:in:_:)``).
    mutating func dots(_ row: Row, _ index: Int, in statement: SQLiteStatement? = nil, _ db: Database) throws -> [Dot] {
        if let statement { return try ClockBlob.withColumn(statement, index) { try dots(bytes: $0, db) } }
        return try row.withUnsafeData(atIndex: index) { data in try data.withUnsafeOptionalBytes { try dots(bytes: $0, db) } }
    }
}

extension Optional where Wrapped == Data {
    /// `body` with the data's bytes, or nil for none.
    func withUnsafeOptionalBytes<T>(_ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
        guard let data = self else { return try body(nil) }
        return try data.withUnsafeBytes { try body($0) }
    }
}
