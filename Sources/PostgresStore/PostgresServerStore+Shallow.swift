import Logging
import PostgresNIO
import SyncModel
import SyncProtocol

/// Shallow pages on PostgreSQL (see ``ShallowSnapshot``): the current state of the records an
/// analyst reads, record by record in id order, as of one feed position; the same page as the
/// SQLite store's, chosen by the same ``ShallowPageBuilder``.
extension PostgresServerStore {
    /// Refuses `at` unless it is a position of this feed (``ShallowError/unknownPosition(_:)``).
    func checkShallowPosition(_ at: FeedCursor) async throws {
        let logger = self.logger
        let honoured = try await client.withConnection { connection in try await Self.honours(at, connection, logger) }
        guard honoured else { throw ShallowError.unknownPosition(at) }
    }

    private static func honours(_ at: FeedCursor, _ connection: PostgresConnection, _ logger: Logger) async throws -> Bool {
        guard at.seq > 0 else { return at.chain == 0 }
        for try await chain in try await connection.query("SELECT chain FROM version WHERE seq = \(Int64(clamping: at.seq))", logger: logger).decode(Int64.self) {
            return UInt64(bitPattern: chain) == at.chain
        }
        return false
    }

    /// The page after `request.after` of the state at `request.at` (the head when nil): at most
    /// `limit` records looked at, bounded by `limit` versions and the page's budget.
    static func shallowPage(
        _ work: ExchangeWork<[Version]>, _ request: ShallowRequest, _ state: AnswerState, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> StoredPage {
        let at = request.at ?? state.head
        guard try await honours(at, connection, logger) else { throw ShallowError.unknownPosition(at) }
        let filter = state.filter
        let limit = max(work.page.limit, 1)
        // Ids compare as text in byte order (lowercase hex), as the SQLite store orders them.
        let rows = try await connection.query("""
            SELECT rec.id, \(unescaped: Self.outsideDefault) FROM record rec
            WHERE rec.id COLLATE "C" > \(request.after?.rawValue ?? "") AND (\(filter)::bigint[] IS NULL OR rec.compartments <@ \(filter)::bigint[])
            ORDER BY rec.id COLLATE "C" LIMIT \(Int64(limit) + 1)
            """, logger: logger)
        var records: [(id: RecordID, compartments: [Int64]?)] = []
        for try await (id, compartments) in rows.decode((String, [Int64]?).self) {
            guard let record = RecordID(id) else { throw PostgresStoreError.damaged("a record row named '\(id)'") }
            records.append((record, compartments))
        }
        let remaining = records.count > limit
        if remaining { records.removeLast() }
        var versions: [RecordID: [Version]] = [:]
        if !records.isEmpty {
            let versionRows = try await connection.query("""
                SELECT \(unescaped: VersionColumns.select) FROM version v \(unescaped: VersionColumns.joins)
                WHERE v.record = ANY(\(records.map(\.id.rawValue))::text[]) AND v.seq <= \(Int64(clamping: at.seq))
                """, logger: logger)
            for try await row in versionRows.decode(VersionColumns.Row.self) {
                let version = try VersionColumns.version(row)
                versions[version.record, default: []].append(version)
            }
        }
        var builder = ShallowPageBuilder(limit: limit, budget: work.page.budget)
        var placements: [Placement] = []
        for record in records {
            guard builder.take(record.id, versions: versions[record.id]) else { break }
            if versions[record.id] != nil, let compartments = record.compartments { placements.append(Placement(record: record.id, compartments: state.access.names(of: compartments))) }
        }
        return builder.page(at: at, compartments: placements, remaining: remaining)
    }
}
