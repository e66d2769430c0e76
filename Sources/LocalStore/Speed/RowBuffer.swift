// Speed machinery: inserts new rows 32 to a statement instead of one by one.
import GRDB

/// A row a ``RowBuffer`` inserts: its table's INSERT up to `VALUES`, and its values bound in
/// that column order.
protocol BufferedRow {
    /// `INSERT OR FAIL INTO table (column, …) VALUES `, followed by one `(?, …)` per row.
    /// `OR FAIL`: a multi-row INSERT that may abort makes SQLite keep a statement journal
    /// (which spilled to a temporary file: twelve times the `pwrite` calls of one-row inserts);
    /// a failing row leaves the rows before it, and the caller's transaction is rolled back
    /// whole. An upsert brings the journal back even so, so upserts are not buffered.
    static var insertPrefix: String { get }
    static var columnCount: Int { get }
    /// The INSERTs of 1 to ``RowBuffer/rowsPerStatement`` rows, made once per table:
    /// `static let statements = statementTexts()`. A flush of a few rows (a single write's one
    /// version) then builds no SQL text.
    static var statements: [String] { get }
    func bind(to write: inout DirectStatement)
}

extension BufferedRow {
    static func statementTexts() -> [String] {
        (1...RowBuffer<Self>.rowsPerStatement).map { RowBuffer<Self>.sql(rows: $0) }
    }
}

/// Rows for one table, inserted ``rowsPerStatement`` at a time by one multi-row INSERT.
///
/// Each execution of a one-row INSERT opens and closes SQLite's cursors on the table and its
/// indexes and runs the statement's setup and teardown; a multi-row INSERT does that once per
/// statement. Rows wait here until the buffer is full or ``flush(_:)`` runs: a batch flushes
/// before it reads the table back and before it finishes, so nothing reads around a held row.
struct RowBuffer<Row: BufferedRow> {
    static var rowsPerStatement: Int { 32 }
    private var rows: [Row] = []
    /// The full statement, held: GRDB's statement cache hashes the whole SQL text on each lookup.
    private var full: Statement?

    var isEmpty: Bool { rows.isEmpty }
    /// Whether the next ``append(_:_:)`` fills the buffer, and so inserts the rows.
    var flushesOnNextAppend: Bool { rows.count == Self.rowsPerStatement - 1 }

    mutating func append(_ row: Row, _ db: Database) throws {
        if rows.isEmpty { rows.reserveCapacity(Self.rowsPerStatement) }
        rows.append(row)
        if rows.count == Self.rowsPerStatement { try flush(db) }
    }

    /// Inserts every held row.
    mutating func flush(_ db: Database) throws {
        guard !rows.isEmpty else { return }
        let isFull = rows.count == Self.rowsPerStatement
        let statement = try (isFull ? full : nil) ?? db.cachedStatement(sql: Row.statements[rows.count - 1])
        if isFull { full = statement }
        var write = DirectStatement(statement)
        for row in rows { row.bind(to: &write) }
        // Emptied first: after a failure the transaction is rolled back, and the rows with it.
        rows.removeAll(keepingCapacity: true)
        try write.run()
    }

    /// The INSERT of `count` rows.
    static func sql(rows count: Int) -> String {
        let row = "(" + repeatElement("?", count: Row.columnCount).joined(separator: ", ") + ")"
        return Row.insertPrefix + repeatElement(row, count: count).joined(separator: ", ")
    }
}
