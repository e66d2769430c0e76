import Logging
import PostgresNIO
import SyncModel
import SyncProtocol

/// Reading an exchange's answer: the counters, the page, the feed's head and what changed in the
/// analyst's access, from one snapshot, so that the page is filtered by the very clearances and
/// compartments the answer reports.
///
/// A team with no compartment but the default reads its pages as before: an analyst cleared for
/// every compartment there is reads them unfiltered, and the access is read by the same
/// statement as the head.
extension PostgresServerStore {
    func answer(_ work: ExchangeWork<[Version]>, report: ApplyReport) async throws -> StoredExchange {
        try await snapshot { connection, logger in
            let state = try await Self.answerState(work, connection, logger)
            let page: StoredPage?
            switch work.page.start {
            case .feed(let cursor, let skipping):
                page = try await Self.feedPage(work, after: cursor, skipping: skipping, state, connection, logger)
            case .notCoveredBy(let known):
                page = try await Self.vectorPage(work, notCoveredBy: known, state, connection, logger)
            case .backfill(let backfill):
                page = try await Self.backfillPage(work, backfill, state, connection, logger)
            case .shallow(let request):
                page = try await Self.shallowPage(work, request, state, connection, logger)
            }
            var update: AccessUpdate?
            if let cursor = work.access { update = try await Self.accessUpdate(after: cursor, state, connection, logger) }
            var stored = StoredExchange(report: report, vector: state.vector, page: page, access: update)
            if state.access.compartmented && !work.versions.isEmpty { stored.pushed = try await Self.pushed(work, state, connection, logger) }
            return stored
        }
    }

    /// What every answer reads first, in one statement: the head, the counters the request
    /// named, and the analyst's access (their rules, the version of their clearances, and the
    /// placement log's head).
    struct AnswerState {
        var head: FeedCursor
        var vector: VersionVector
        var access: PostgresAccess
        /// The analyst whose pages these are ("" for a courier's bundle, which reads as one
        /// cleared for the default compartment, as ``AccessRules/unrestricted`` is).
        var analyst: String
        var clearancesVersion: UInt64
        var placementHead: UInt64

        /// The compartments the analyst reads, for `compartments <@ $1`; nil when they read them all.
        var filter: [Int64]? { access.readFilter(for: analyst) }
        var rules: AccessRules { access.rules(for: analyst) }
    }

    private static func answerState(_ work: ExchangeWork<[Version]>, _ connection: PostgresConnection, _ logger: Logger) async throws -> AnswerState {
        let analyst = work.analyst
        let rows = try await connection.query("""
            SELECT h.seq, h.chain, (SELECT coalesce(string_agg(uuid || ':' || counter, ','), '') FROM replica
                                    WHERE uuid = ANY(\(work.counted.map(\.rawValue))::text[]) AND counter > 0),
                   ARRAY(SELECT id FROM compartment ORDER BY id), ARRAY(SELECT name FROM compartment ORDER BY id),
                   ARRAY(SELECT compartment FROM clearance WHERE analyst = \(analyst) ORDER BY compartment),
                   ARRAY(SELECT write FROM clearance WHERE analyst = \(analyst) ORDER BY compartment),
                   coalesce((SELECT home FROM analyst WHERE name = \(analyst)), 1),
                   coalesce((SELECT access_version FROM analyst WHERE name = \(analyst)), 1),
                   (SELECT seq FROM placement_head)
            FROM feed_head h
            """, logger: logger)
        for try await (seq, chain, counters, ids, names, cleared, write, home, version, placements)
            in rows.decode((Int64, Int64, String, [Int64], [String], [Int64], [Bool], Int64, Int64, Int64).self) {
            guard let vector = VersionVector(text: counters) else { throw PostgresStoreError.damaged("a replica's counter") }
            var access = PostgresAccess(ids: ids, names: names, cleared: (cleared.map { _ in analyst }, cleared, write), homes: ([analyst], [home]))
            if analyst.isEmpty { access.rules[analyst] = .unrestricted }
            return AnswerState(head: FeedCursor(seq: UInt64(seq), chain: UInt64(bitPattern: chain)), vector: vector, access: access, analyst: analyst,
                               clearancesVersion: UInt64(version), placementHead: UInt64(placements))
        }
        throw PostgresStoreError.damaged("the feed head is missing")
    }

    /// A pull by cursor: the page after a cursor the feed honours (nil for one it does not). One
    /// that reaches the end covers the skipped entries after its last version too, so its cursor
    /// is the head. An analyst who reads every compartment gets the page read on the version table
    /// alone (its index on seq), then joined; a restricted one's is filtered on the join.
    private static func feedPage(
        _ work: ExchangeWork<[Version]>, after cursor: FeedCursor, skipping: Set<ReplicaID>, _ state: AnswerState,
        _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> StoredPage? {
        var honoured = cursor.seq == 0 && cursor.chain == 0
        if cursor.seq > 0 {
            for try await chain in try await connection.query("SELECT chain FROM version WHERE seq = \(Int64(clamping: cursor.seq))", logger: logger).decode(Int64.self) {
                honoured = UInt64(bitPattern: chain) == cursor.chain
            }
        }
        guard honoured else { return nil }
        let skipped = skipping.map(\.rawValue), after = Int64(clamping: cursor.seq), limit = Int64(work.page.limit) + 1
        let rows: PostgresRowSequence
        if let filter = state.filter {
            rows = try await connection.query("""
                SELECT v.seq, v.chain, \(unescaped: VersionColumns.select), \(unescaped: Self.outsideDefault) FROM version v \(unescaped: VersionColumns.joins)
                WHERE v.seq > \(after) AND v.replica <> ALL(ARRAY(SELECT id FROM replica WHERE uuid = ANY(\(skipped)::text[])))
                  AND rec.compartments <@ \(filter)::bigint[]
                ORDER BY v.seq LIMIT \(limit)
                """, logger: logger)
        } else {
            rows = try await connection.query("""
                SELECT v.seq, v.chain, \(unescaped: VersionColumns.select), \(unescaped: Self.outsideDefault)
                FROM (
                    -- The page first, on the version table alone (its index on seq), then its
                    -- rows joined to their replica and record.
                    SELECT * FROM version
                    WHERE seq > \(after) AND replica <> ALL(ARRAY(SELECT id FROM replica WHERE uuid = ANY(\(skipped)::text[])))
                    ORDER BY seq LIMIT \(limit)
                ) v \(unescaped: VersionColumns.joins)
                ORDER BY v.seq
                """, logger: logger)
        }
        var page = PageReader(work.page, state.access)
        for try await (seq, chain, uuid, counter, record, kind, field, context, value, author, time, compartments)
            in rows.decode((Int64, Int64, String, Int64, String, String, String, String, String, String, Int64, [Int64]?).self) {
            try page.take((uuid, counter, record, kind, field, context, value, author, time), compartments: compartments, seq: seq, chain: chain)
        }
        return page.page(cursor: page.more ? page.position ?? cursor : state.head)
    }

    /// A pull by vector: what the vector does not cover and the analyst reads, each replica's
    /// versions in counter order; a complete page carries the feed's head as its cursor.
    private static func vectorPage(
        _ work: ExchangeWork<[Version]>, notCoveredBy known: VersionVector, _ state: AnswerState, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> StoredPage {
        var lacking: [(id: Int64, after: Int64)] = []
        let replicas = try await connection.query("SELECT id, uuid, counter FROM replica WHERE counter > 0 ORDER BY uuid COLLATE \"C\"", logger: logger)
        for try await (id, uuid, counter) in replicas.decode((Int64, String, Int64).self) {
            guard let replica = ReplicaID(uuid) else { throw PostgresStoreError.damaged("a replica row named '\(uuid)'") }
            let have = Int64(clamping: known[replica])
            if counter > have { lacking.append((id, have)) }
        }
        let filter = state.filter
        var page = PageReader(work.page, state.access)
        for (id, after) in lacking {
            let rows = try await connection.query("""
                SELECT v.seq, v.chain, \(unescaped: VersionColumns.select), \(unescaped: Self.outsideDefault) FROM version v \(unescaped: VersionColumns.joins)
                WHERE v.replica = \(id) AND v.counter > \(after) AND (\(filter)::bigint[] IS NULL OR rec.compartments <@ \(filter)::bigint[])
                ORDER BY v.counter LIMIT \(Int64(work.page.limit - page.versions.count) + 1)
                """, logger: logger)
            for try await (seq, chain, uuid, counter, record, kind, field, context, value, author, time, compartments)
                in rows.decode((Int64, Int64, String, Int64, String, String, String, String, String, String, Int64, [Int64]?).self) {
                try page.take((uuid, counter, record, kind, field, context, value, author, time), compartments: compartments, seq: seq, chain: chain)
            }
            if page.more { break }
        }
        return page.page(cursor: page.more ? nil : state.head)
    }

    /// A backfill: the versions after feed position `backfill.after` of the records it names (by
    /// compartment or by id) that the analyst reads, in feed order, whatever the client's own
    /// cursor, with the position reached.
    private static func backfillPage(
        _ work: ExchangeWork<[Version]>, _ backfill: Backfill, _ state: AnswerState, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> StoredPage {
        // Names the store lacks are passed over, as unreadable ones are: no answer tells which exist.
        let wanted = backfill.compartments.compactMap { try? state.access.compartmentID($0) }
        let filter = state.filter
        let rows = try await connection.query("""
            SELECT v.seq, v.chain, \(unescaped: VersionColumns.select), \(unescaped: Self.outsideDefault) FROM version v \(unescaped: VersionColumns.joins)
            WHERE v.seq > \(Int64(clamping: backfill.after))
              AND (rec.compartments && \(wanted)::bigint[] OR v.record = ANY(\(backfill.records.map(\.rawValue))::text[]))
              AND (\(filter)::bigint[] IS NULL OR rec.compartments <@ \(filter)::bigint[])
            ORDER BY v.seq LIMIT \(Int64(work.page.limit) + 1)
            """, logger: logger)
        var page = PageReader(work.page, state.access)
        for try await (seq, chain, uuid, counter, record, kind, field, context, value, author, time, compartments)
            in rows.decode((Int64, Int64, String, Int64, String, String, String, String, String, String, Int64, [Int64]?).self) {
            try page.take((uuid, counter, record, kind, field, context, value, author, time), compartments: compartments, seq: seq, chain: chain)
        }
        let reached = page.more ? page.position?.seq ?? backfill.after : max(backfill.after, state.head.seq)
        var stored = page.page(cursor: nil)
        stored.backfilled = reached
        return stored
    }

    /// Where the pushed records stand (held or new), those the analyst reads: the pusher's own
    /// versions never come back to tell it.
    private static func pushed(_ work: ExchangeWork<[Version]>, _ state: AnswerState, _ connection: PostgresConnection, _ logger: Logger) async throws -> [Placement] {
        let records = Set(work.versions.map(\.record.rawValue)).sorted()
        var placements: [Placement] = []
        for try await (id, compartments) in try await connection.query("SELECT id, compartments FROM record WHERE id = ANY(\(records)::text[])", logger: logger)
            .decode((String, [Int64]).self) {
            if let record = RecordID(id), state.rules.mayRead(compartments) {
                placements.append(Placement(record: record, compartments: state.access.names(of: compartments)))
            }
        }
        return placements.sorted { $0.record < $1.record }
    }

    /// A page row's record compartments, NULL for the default compartment alone: a team with
    /// no other decodes no array per version.
    static let outsideDefault = "nullif(rec.compartments, '{\(Compartment.defaultID)}')"

    /// The most placements one answer carries.
    static let placementPage = 500

    /// What changed in the analyst's access after `cursor`: their clearances if their version
    /// moved, and the placements of records they could read before or can read now; nil when
    /// nothing did. The placement log is read only when its head is past the cursor.
    private static func accessUpdate(after cursor: AccessCursor, _ state: AnswerState, _ connection: PostgresConnection, _ logger: Logger) async throws -> AccessUpdate? {
        let rules = state.rules
        var update = AccessUpdate(cursor: AccessCursor(clearances: state.clearancesVersion, placements: cursor.placements), clearances: nil)
        if state.clearancesVersion != cursor.clearances {
            update.clearances = rules.read.compactMap { id in state.access.names[id].map { Clearance(compartment: $0, write: rules.write.contains(id)) } }.sorted()
            update.home = state.access.names[rules.home]
            if state.access.compartmented { update.colleagues = try await PostgresServerStore.colleagues(readableBy: rules, state.access, connection, logger) }
        }
        if state.placementHead > cursor.placements {
            let rows = try await connection.query("""
                SELECT seq, record, before, after FROM placement WHERE seq > \(Int64(clamping: cursor.placements)) ORDER BY seq LIMIT \(Int64(placementPage) + 1)
                """, logger: logger)
            var count = 0
            for try await (seq, record, before, after) in rows.decode((Int64, String, [Int64], [Int64]).self) {
                count += 1
                guard count <= placementPage else { continue }
                update.cursor.placements = UInt64(seq)
                let couldRead = rules.mayRead(before), canRead = rules.mayRead(after)
                guard couldRead || canRead, let id = RecordID(record) else { continue }
                update.placements.append(Placement(record: id, compartments: canRead ? state.access.names(of: after) : nil))
            }
            update.more = count > placementPage
        }
        return update.cursor == cursor && update.placements.isEmpty ? nil : update
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
}

/// A page being read from rows that come in order: its versions up to the limit and the budget,
/// the position of the last one taken, and the compartments of its records outside the default.
struct PageReader {
    private var budget: PageBudget
    private let limit: Int
    private let access: PostgresAccess
    private(set) var versions: [Version] = []
    private(set) var more = false
    /// The feed position of the last version taken.
    private(set) var position: FeedCursor?
    private var compartments: [RecordID: [Int64]] = [:]

    init(_ query: PageQuery, _ access: PostgresAccess) {
        budget = query.budget
        limit = query.limit
        self.access = access
    }

    /// Takes the next row's version unless the page is full; a row once the page is full (a
    /// query reads one more than the limit) only says there is more.
    mutating func take(_ row: VersionColumns.Row, compartments recordCompartments: [Int64]?, seq: Int64, chain: Int64) throws {
        guard !more else { return }
        guard versions.count < limit, budget.admits(PageBudget.size(context: VersionVector(text: row.5) ?? VersionVector(), value: row.6)) else {
            more = true
            return
        }
        let version = try VersionColumns.version(row)
        versions.append(version)
        position = FeedCursor(seq: UInt64(seq), chain: UInt64(bitPattern: chain))
        if let recordCompartments { compartments[version.record] = recordCompartments }
    }

    func page(cursor: FeedCursor?) -> StoredPage {
        let named = compartments.map { Placement(record: $0.key, compartments: access.names(of: $0.value)) }.sorted { $0.record < $1.record }
        return StoredPage(versions: versions, more: more, cursor: cursor, compartments: named)
    }
}
