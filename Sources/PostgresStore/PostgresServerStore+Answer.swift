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
        }
    }

    /// A pull by cursor in one statement, which is one snapshot: the head, the counters, whether
    /// the cursor is a position of this feed, and the page after it. The page is read only for a
    /// cursor the feed honours; one that reaches the end covers the skipped entries after its
    /// last version too, so its cursor is the head.
    private func feedAnswer(_ work: ExchangeWork<[Version]>, after cursor: FeedCursor, skipping: Set<ReplicaID>, report: ApplyReport) async throws -> StoredExchange {
        let seq = Int64(clamping: cursor.seq), chain = Int64(bitPattern: cursor.chain)
        // Integers only, written into the statement: nothing from the request but two numbers.
        let honoured = cursor.seq == 0
            ? "\(cursor.chain == 0)"
            : "coalesce((SELECT chain FROM version WHERE seq = \(seq)) = \(chain), false)"
        let rows = try await client.query("""
            SELECT h.seq, h.chain, \(unescaped: honoured) AS honoured,
                   (SELECT coalesce(string_agg(uuid || ':' || counter, ','), '') FROM replica
                    WHERE uuid = ANY(\(work.counted.map(\.rawValue))::text[]) AND counter > 0) AS counters,
                   p.seq, p.chain, p.uuid, p.counter, p.record, p.kind, p.field, p.context, p.value, p.author, p.time
            FROM feed_head h LEFT JOIN LATERAL (
                SELECT v.seq, v.chain, \(unescaped: VersionColumns.select) FROM version v \(unescaped: VersionColumns.joins)
                WHERE \(unescaped: honoured) AND v.seq > \(seq) AND r.uuid <> ALL(\(skipping.map(\.rawValue))::text[])
                ORDER BY v.seq LIMIT \(Int64(work.page.limit) + 1)
            ) p ON true
            ORDER BY p.seq
            """, logger: logger)
        var head = FeedCursor.start, vector = VersionVector(), isHonoured = false
        var budget = work.page.budget
        var versions: [Version] = []
        var position = cursor
        var more = false
        for try await row in rows.decode((Int64, Int64, Bool, String, Int64?, Int64?, String?, Int64?, String?, String?, String?, String?, String?, String?, Int64?).self) {
            head = FeedCursor(seq: UInt64(row.0), chain: UInt64(bitPattern: row.1))
            isHonoured = row.2
            guard let counters = VersionVector(text: row.3) else { throw PostgresStoreError.damaged("a replica's counter") }
            vector = counters
            guard !more, let entrySeq = row.4, let entryChain = row.5, let uuid = row.6, let counter = row.7, let record = row.8, let kind = row.9,
                  let field = row.10, let context = row.11, let value = row.12, let author = row.13, let time = row.14 else { continue }
            guard versions.count < work.page.limit, budget.admits(PageBudget.size(context: VersionVector(text: context) ?? VersionVector(), value: value)) else {
                more = true
                continue
            }
            versions.append(try VersionColumns.version((uuid, counter, record, kind, field, context, value, author, time)))
            position = FeedCursor(seq: UInt64(entrySeq), chain: UInt64(bitPattern: entryChain))
        }
        let page = isHonoured ? StoredPage(versions: versions, more: more, cursor: more ? position : head) : nil
        return StoredExchange(report: report, vector: vector, page: page, head: head)
    }

    /// A pull by vector, in one read-only snapshot: what the vector does not cover, each
    /// replica's versions in counter order.
    private func vectorAnswer(_ work: ExchangeWork<[Version]>, notCoveredBy known: VersionVector, report: ApplyReport) async throws -> StoredExchange {
        let logger = self.logger
        return try await client.withConnection { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
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
                try await connection.query("COMMIT", logger: logger)
                return StoredExchange(report: report, vector: vector, page: StoredPage(versions: versions, more: more, cursor: nil), head: head)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
