import Logging
import PostgresNIO
import SyncModel
import SyncProtocol

/// Reading an exchange's answer: the counters, the page and the feed's head, in one snapshot.
extension PostgresServerStore {
    func answer(_ work: ExchangeWork<[Version]>, report: ApplyReport) async throws -> StoredExchange {
        let logger = self.logger
        return try await client.withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let vector = try await Self.counters(of: work.counted, connection, logger)
                var head = FeedCursor.start
                for try await (seq, chain) in try await connection.query("SELECT seq, chain FROM feed_head", logger: logger).decode((Int64, Int64).self) {
                    head = FeedCursor(seq: UInt64(seq), chain: UInt64(bitPattern: chain))
                }
                let page: StoredPage?
                switch work.page.start {
                case .feed(let cursor, let skipping):
                    page = try await Self.feedPage(after: cursor, skipping: skipping, head: head, work.page, connection, logger)
                case .notCoveredBy(let known):
                    page = try await Self.page(notCoveredBy: known, work.page, connection, logger)
                }
                try await connection.query("COMMIT", logger: logger)
                return StoredExchange(report: report, vector: vector, page: page, head: head)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private static func counters(of replicas: Set<ReplicaID>, _ connection: PostgresConnection, _ logger: Logger) async throws -> VersionVector {
        var vector = VersionVector()
        let rows = try await connection.query("SELECT uuid, counter FROM replica WHERE uuid = ANY(\(replicas.map(\.rawValue))::text[])", logger: logger)
        for try await (uuid, counter) in rows.decode((String, Int64).self) {
            if let replica = ReplicaID(uuid) { vector[replica] = UInt64(counter) }
        }
        return vector
    }

    /// The feed after `cursor`, leaving out `skipping`; nil if `cursor` is not a position of this
    /// feed. A page that reaches the end covers the skipped entries after its last version too.
    private static func feedPage(
        after cursor: FeedCursor, skipping: Set<ReplicaID>, head: FeedCursor, _ query: PageQuery,
        _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> StoredPage? {
        if cursor.seq > 0 {
            var honoured = false
            for try await chain in try await connection.query("SELECT chain FROM feed WHERE seq = \(Int64(clamping: cursor.seq))", logger: logger).decode(Int64.self) {
                honoured = UInt64(bitPattern: chain) == cursor.chain
            }
            guard honoured else { return nil }
        } else if cursor.chain != 0 {
            return nil
        }
        let rows = try await connection.query("""
            SELECT f.seq, f.chain, \(unescaped: VersionColumns.select)
            FROM feed f JOIN version v ON v.replica = f.replica AND v.counter = f.counter \(unescaped: VersionColumns.joins)
            WHERE f.seq > \(Int64(clamping: cursor.seq)) AND r.uuid <> ALL(\(skipping.map(\.rawValue))::text[])
            ORDER BY f.seq LIMIT \(Int64(query.limit) + 1)
            """, logger: logger)
        var budget = query.budget
        var versions: [Version] = []
        var position = cursor
        for try await (seq, chain, uuid, counter, record, kind, field, context, value, author, time)
            in rows.decode((Int64, Int64, String, Int64, String, String, String, String, String, String, Int64).self) {
            guard versions.count < query.limit,
                  budget.admits(PageBudget.size(context: VersionVector(text: context) ?? VersionVector(), value: value)) else {
                return StoredPage(versions: versions, more: true, cursor: position)
            }
            versions.append(try VersionColumns.version((uuid, counter, record, kind, field, context, value, author, time)))
            position = FeedCursor(seq: UInt64(seq), chain: UInt64(bitPattern: chain))
        }
        return StoredPage(versions: versions, more: false, cursor: head.seq > position.seq ? head : position)
    }

    /// What `known` does not cover, each replica's versions in counter order.
    private static func page(
        notCoveredBy known: VersionVector, _ query: PageQuery, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> StoredPage {
        var lacking: [(id: Int64, after: Int64)] = []
        let replicas = try await connection.query("SELECT id, uuid, counter FROM replica WHERE counter > 0 ORDER BY uuid COLLATE \"C\"", logger: logger)
        for try await (id, uuid, counter) in replicas.decode((Int64, String, Int64).self) {
            let have = ReplicaID(uuid).map { Int64(clamping: known[$0]) } ?? 0
            if counter > have { lacking.append((id, have)) }
        }
        var budget = query.budget
        var versions: [Version] = []
        for (id, after) in lacking {
            let rows = try await connection.query("""
                SELECT \(unescaped: VersionColumns.select) FROM version v \(unescaped: VersionColumns.joins)
                WHERE v.replica = \(id) AND v.counter > \(after) ORDER BY v.counter LIMIT \(Int64(query.limit - versions.count) + 1)
                """, logger: logger)
            for try await row in rows.decode(VersionColumns.Row.self) {
                guard versions.count < query.limit, budget.admits(PageBudget.size(context: VersionVector(text: row.5) ?? VersionVector(), value: row.6)) else {
                    return StoredPage(versions: versions, more: true, cursor: nil)
                }
                versions.append(try VersionColumns.version(row))
            }
        }
        return StoredPage(versions: versions, more: false, cursor: nil)
    }
}
