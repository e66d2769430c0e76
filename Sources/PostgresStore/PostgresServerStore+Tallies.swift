import Logging
import PostgresNIO
import SyncModel
package import SyncProtocol

/// What operators count that the server never decides by: conflicts as replicas reported them
/// (see ``ConflictReport``), and bundle applies by result.
extension PostgresServerStore {
    /// Records an exchange's conflict report, and counts a bundle apply, in its transaction.
    ///
    /// The tally row is locked first: every transaction that records a report takes it before
    /// any conflict row, so two reports naming the same ids in different roles (one opening
    /// what the other resolves) never wait on each other's rows in opposite orders. It comes
    /// after the feed head in a push's lock order, and is held only by the few exchanges that
    /// carry a report. An id not held is inserted (opened once, however many instances and
    /// replicas report it); a resolved id is closed for good; an id first reported resolved
    /// counts as opened and closed at once.
    static func recordTallies(_ work: ExchangeWork<[Version]>, _ connection: PostgresConnection, _ logger: Logger) async throws {
        if work.countsBundleApply { try await countBundleApply(.applied, connection, logger) }
        let report = work.conflicts
        guard !report.isEmpty else { return }
        try await connection.query("SELECT opened FROM conflict_tally FOR UPDATE", logger: logger)
        let opened = Set(report.opened.map(\.rawValue)).sorted(), resolved = Set(report.resolved.map(\.rawValue)).sorted()
        var inserted = 0, open = 0
        func count(_ query: PostgresQuery) async throws -> Int {
            var rows = 0
            for try await _ in try await connection.query(query, logger: logger).decode(String.self) { rows += 1 }
            return rows
        }
        if !opened.isEmpty {
            let new = try await count("""
                INSERT INTO conflict (id, opened) SELECT u, \(work.time) FROM unnest(\(opened)::text[]) AS u ORDER BY u COLLATE "C"
                ON CONFLICT (id) DO NOTHING RETURNING id
                """)
            inserted += new
            open += new
        }
        if !resolved.isEmpty {
            open -= try await count("UPDATE conflict SET closed = \(work.time) WHERE id = ANY(\(resolved)::text[]) AND closed IS NULL RETURNING id")
            inserted += try await count("""
                INSERT INTO conflict (id, opened, closed) SELECT u, \(work.time), \(work.time) FROM unnest(\(resolved)::text[]) AS u
                ORDER BY u COLLATE "C" ON CONFLICT (id) DO NOTHING RETURNING id
                """)
        }
        guard inserted != 0 || open != 0 else { return }
        try await connection.query("UPDATE conflict_tally SET opened = opened + \(inserted), open = open + \(open)", logger: logger)
    }

    private static func countBundleApply(_ result: BundleApplyResult, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO bundle_apply (result, reason, count) VALUES (\(result.result), \(result.reason?.rawValue ?? ""), 1)
            ON CONFLICT (result, reason) DO UPDATE SET count = bundle_apply.count + 1
            """, logger: logger)
    }

    package func conflictCounts() async throws -> ConflictCounts {
        try await mapErrors { [self] in
            for try await (open, opened) in try await client.query("SELECT open, opened FROM conflict_tally", logger: logger).decode((Int64, Int64).self) {
                return ConflictCounts(open: Int(open), opened: Int(opened))
            }
            throw PostgresStoreError.damaged("the conflict tally is missing")
        }
    }

    package func recordRefusedBundleApply(_ reason: BundleApplyResult.Reason, at time: Int64) async throws {
        try await mapErrors { [self] in
            try await client.withConnection { connection in
                try await Self.countBundleApply(.refused(reason), connection, logger)
            }
        }
    }

    package func bundleApplies() async throws -> [BundleApplyResult: Int] {
        try await mapErrors { [self] in
            var counts: [BundleApplyResult: Int] = [:]
            for try await (result, reason, count) in try await client.query("SELECT result, reason, count FROM bundle_apply", logger: logger)
                .decode((String, String, Int64).self) {
                counts[result == "applied" ? .applied : .refused(.init(rawValue: reason)), default: 0] += Int(count)
            }
            return counts
        }
    }
}
