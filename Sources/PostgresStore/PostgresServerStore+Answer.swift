import Logging
import PostgresNIO
import SyncModel
import SyncProtocol

/// Reading an exchange's answer: the counters, the page and the feed's head, from one snapshot.
extension PostgresServerStore {
    func answer(_ work: ExchangeWork<[Version]>, report: ApplyReport) async throws -> StoredExchange {
        switch work.page.start {
        case .feed(let cursor, let skipping):
            return try await feedAnswer(work, after: cursor, skipping: skipping, report: report)
        case .notCoveredBy(let known):
            return try await vectorAnswer(work, notCoveredBy: known, report: report)
        case .backfill:
            // Every record here is in the default compartment, so no grant ever needs one.
            throw CompartmentError.onlyDefault(store: "PostgreSQL")
        }
    }

    /// A pull by cursor, in one read-only snapshot: the counters, the head, whether the cursor
    /// is a position of this feed, and the page after it. The page is read only for a cursor
    /// the feed honours; one that reaches the end covers the skipped entries after its last
    /// version too, so its cursor is the head.
    private func feedAnswer(_ work: ExchangeWork<[Version]>, after cursor: FeedCursor, skipping: Set<ReplicaID>, report: ApplyReport) async throws -> StoredExchange {
        try await snapshot { connection, logger in
            var head = FeedCursor.start, vector = VersionVector()
            let counted = try await connection.query("""
                SELECT h.seq, h.chain, (SELECT coalesce(string_agg(uuid || ':' || counter, ','), '') FROM replica
                                        WHERE uuid = ANY(\(work.counted.map(\.rawValue))::text[]) AND counter > 0)
                FROM feed_head h
                """, logger: logger)
            for try await (seq, chain, counters) in counted.decode((Int64, Int64, String).self) {
                head = FeedCursor(seq: UInt64(seq), chain: UInt64(bitPattern: chain))
                guard let parsed = VersionVector(text: counters) else { throw PostgresStoreError.damaged("a replica's counter") }
                vector = parsed
            }
            var honoured = cursor.seq == 0 && cursor.chain == 0
            if cursor.seq > 0 {
                for try await chain in try await connection.query("SELECT chain FROM version WHERE seq = \(Int64(clamping: cursor.seq))", logger: logger).decode(Int64.self) {
                    honoured = UInt64(bitPattern: chain) == cursor.chain
                }
            }
            guard honoured else { return StoredExchange(report: report, vector: vector, page: nil) }
            let rows = try await connection.query("""
                SELECT v.seq, v.chain, \(unescaped: VersionColumns.select)
                FROM (
                    -- The page first, on the version table alone (its index on seq), then its
                    -- rows joined to their replica and record.
                    SELECT * FROM version
                    WHERE seq > \(Int64(clamping: cursor.seq))
                      AND replica <> ALL(ARRAY(SELECT id FROM replica WHERE uuid = ANY(\(skipping.map(\.rawValue))::text[])))
                    ORDER BY seq LIMIT \(Int64(work.page.limit) + 1)
                ) v \(unescaped: VersionColumns.joins)
                ORDER BY v.seq
                """, logger: logger)
            var budget = work.page.budget
            var versions: [Version] = []
            var position = cursor
            var more = false
            for try await (seq, chain, uuid, counter, record, kind, field, context, value, author, time)
                in rows.decode((Int64, Int64, String, Int64, String, String, String, String, String, String, Int64).self) {
                guard !more else { continue }
                guard versions.count < work.page.limit,
                      budget.admits(PageBudget.size(context: VersionVector(text: context) ?? VersionVector(), value: value)) else {
                    more = true
                    continue
                }
                versions.append(try VersionColumns.version((uuid, counter, record, kind, field, context, value, author, time)))
                position = FeedCursor(seq: UInt64(seq), chain: UInt64(bitPattern: chain))
            }
            let page = StoredPage(versions: versions, more: more, cursor: more ? position : head)
            return StoredExchange(report: report, vector: vector, page: page)
        }
    }

    /// Runs `body` in a read-only REPEATABLE READ transaction: one snapshot for every query.
    private func snapshot<T: Sendable>(_ body: (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await client.withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let result = try await body(connection, logger)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// A pull by vector, in one read-only snapshot: what the vector does not cover, each
    /// replica's versions in counter order; a complete page carries the feed's head as its cursor.
    private func vectorAnswer(_ work: ExchangeWork<[Version]>, notCoveredBy known: VersionVector, report: ApplyReport) async throws -> StoredExchange {
        try await snapshot { connection, logger in
            var vector = VersionVector()
            var lacking: [(id: Int64, after: Int64)] = []
            let replicas = try await connection.query("SELECT id, uuid, counter FROM replica WHERE counter > 0 ORDER BY uuid COLLATE \"C\"", logger: logger)
            for try await (id, uuid, counter) in replicas.decode((Int64, String, Int64).self) {
                guard let replica = ReplicaID(uuid) else { throw PostgresStoreError.damaged("a replica row named '\(uuid)'") }
                if work.counted.contains(replica) { vector[replica] = UInt64(counter) }
                let have = Int64(clamping: known[replica])
                if counter > have { lacking.append((id, have)) }
            }
            var head = FeedCursor.start
            for try await (seq, chain) in try await connection.query("SELECT seq, chain FROM feed_head", logger: logger).decode((Int64, Int64).self) {
                head = FeedCursor(seq: UInt64(seq), chain: UInt64(bitPattern: chain))
            }
            var budget = work.page.budget
            var versions: [Version] = []
            var more = false
            pages: for (id, after) in lacking {
                let rows = try await connection.query("""
                    SELECT \(unescaped: VersionColumns.select) FROM version v \(unescaped: VersionColumns.joins)
                    WHERE v.replica = \(id) AND v.counter > \(after) ORDER BY v.counter LIMIT \(Int64(work.page.limit - versions.count) + 1)
                    """, logger: logger)
                for try await row in rows.decode(VersionColumns.Row.self) {
                    guard !more else { continue }
                    guard versions.count < work.page.limit, budget.admits(PageBudget.size(context: VersionVector(text: row.5) ?? VersionVector(), value: row.6)) else {
                        more = true
                        continue
                    }
                    versions.append(try VersionColumns.version(row))
                }
                if more { break pages }
            }
            return StoredExchange(report: report, vector: vector, page: StoredPage(versions: versions, more: more, cursor: more ? nil : head))
        }
    }
}
