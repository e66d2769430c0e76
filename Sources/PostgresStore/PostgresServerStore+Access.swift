import Logging
import PostgresNIO
package import SyncModel
package import SyncProtocol

/// Need-to-know on PostgreSQL: compartments, clearances, analysts' default compartments and
/// moves, each one transaction (see ``AccessRules`` for the rules, and ``PostgresAccess`` for how
/// records' compartments are kept). A grant, revoke or new default bumps the analyst's access
/// version, which their replicas' next answer reports.
extension PostgresServerStore {
    /// Makes a compartment. The second one (the first besides `default`) starts the keeping of
    /// cell numbers and signal tags, filled from every stored version: it locks the feed head
    /// first, so every push stored before it is in what it fills, and every push stored after
    /// it sees two compartments and notes its own (a push that read one compartment before
    /// and reaches the feed head after is refused and sent again, see
    /// ``PostgresServerStore/push(_:ownership:authorizing:_:_:)``). Holding the feed head, it
    /// holds up pushes while it reads the versions of cells' numbers and signals' tags.
    package func addCompartment(_ name: String, at time: Int64) async throws {
        let name = try Compartment.checkName(name)
        try await mapErrors(deadline: 600) { [self] in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT seq FROM feed_head FOR UPDATE", logger: logger)
                var count: Int64 = 0, taken = false
                for try await (all, same) in try await connection.query("""
                    SELECT count(*), count(*) FILTER (WHERE name = \(name)) FROM compartment
                    """, logger: logger).decode((Int64, Int64).self) {
                    (count, taken) = (all, same > 0)
                }
                guard !taken else { throw CompartmentError.exists(name) }
                if count == 1 { try await Self.fillTags(connection, logger) }
                try await connection.query("INSERT INTO compartment (name, created) VALUES (\(name), \(time))", logger: logger)
            }
        }
    }

    /// Fills the cell numbers and signals' tags (by number and by id) from every stored version, when the store gains its
    /// second compartment (until then they are not kept, see ``PostgresAccess/compartmented``).
    static func fillTags(_ connection: PostgresConnection, _ logger: Logger) async throws {
        var numbers: [(number: Int64, record: String)] = [], tags: [(number: Int64, signal: String)] = [], refs: [(cell: String, signal: String)] = []
        let rows = try await connection.query("""
            SELECT v.record, rec.kind, v.value FROM version v JOIN record rec ON rec.id = v.record
            WHERE (rec.kind = 'cell' AND v.field = 'number') OR (rec.kind = 'signal' AND v.field = 'cells')
            """, logger: logger)
        for try await (record, kind, text) in rows.decode((String, String, String).self) {
            let value = try ValueJSON.decode(text)
            if kind == "cell", let number = value.int {
                numbers.append((number, record))
            } else {
                for ref in value.list ?? [] {
                    if let number = CellRef.number(ref) { tags.append((number, record)) } else if let id = RecordID(ref) { refs.append((id.rawValue, record)) }
                }
            }
        }
        try await connection.query("""
            INSERT INTO cell_number (number, record) SELECT * FROM unnest(\(numbers.map(\.number))::bigint[], \(numbers.map(\.record))::text[])
            ON CONFLICT DO NOTHING
            """, logger: logger)
        try await connection.query("""
            INSERT INTO signal_tag (number, signal) SELECT * FROM unnest(\(tags.map(\.number))::bigint[], \(tags.map(\.signal))::text[])
            ON CONFLICT DO NOTHING
            """, logger: logger)
        try await connection.query("""
            INSERT INTO signal_ref (cell, signal) SELECT * FROM unnest(\(refs.map(\.cell))::text[], \(refs.map(\.signal))::text[])
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    package func compartments() async throws -> [(name: String, records: Int)] {
        try await mapErrors { [self] in
            var names: [Int64: String] = [:], counts: [Int64: Int] = [:]
            for try await (id, name) in try await client.query("SELECT id, name FROM compartment", logger: logger).decode((Int64, String).self) {
                names[id] = name
            }
            let rows = try await client.query("SELECT c, count(*) FROM record, unnest(compartments) AS c GROUP BY c", logger: logger)
            for try await (id, count) in rows.decode((Int64, Int64).self) { counts[id] = Int(count) }
            return names.map { ($0.value, counts[$0.key] ?? 0) }.sorted { $0.name < $1.name }
        }
    }

    package func grant(analyst: String, compartment: String, write: Bool) async throws {
        try await mapErrors { [self] in
            try await client.withTransaction(logger: logger) { connection in
                let id = try await Self.compartmentAndAnalyst(compartment, analyst, connection, logger)
                try await connection.query("""
                    INSERT INTO clearance (analyst, compartment, write) VALUES (\(analyst), \(id), \(write))
                    ON CONFLICT (analyst, compartment) DO UPDATE SET write = excluded.write
                    """, logger: logger)
                try await Self.bumpTeamAccess(connection, logger)
            }
        }
    }

    package func revokeClearance(analyst: String, compartment: String) async throws -> Bool {
        try await mapErrors { [self] in
            try await client.withTransaction(logger: logger) { connection in
                let id = try await Self.compartmentAndAnalyst(compartment, analyst, connection, logger)
                let deleted = try await connection.query("DELETE FROM clearance WHERE analyst = \(analyst) AND compartment = \(id) RETURNING analyst", logger: logger)
                var revoked = false
                for try await _ in deleted.decode(String.self) { revoked = true }
                if revoked { try await Self.bumpTeamAccess(connection, logger) }
                return revoked
            }
        }
    }

    package func clearances(analyst: String?) async throws -> [ClearanceEntry] {
        try await mapErrors { [self] in
            if let analyst, try await !exists(analyst: analyst) { throw AnalystError.notFound(analyst) }
            var result: [ClearanceEntry] = []
            let rows = try await client.query("""
                SELECT c.analyst, k.name, c.write FROM clearance c JOIN compartment k ON k.id = c.compartment
                WHERE \(analyst)::text IS NULL OR c.analyst = \(analyst) ORDER BY c.analyst COLLATE "C", k.name COLLATE "C"
                """, logger: logger)
            for try await (name, compartment, write) in rows.decode((String, String, Bool).self) {
                result.append(ClearanceEntry(analyst: name, clearance: Clearance(compartment: compartment, write: write)))
            }
            return result
        }
    }

    package func setHome(analyst: String, compartment: String) async throws {
        try await mapErrors { [self] in
            try await client.withTransaction(logger: logger) { connection in
                let id = try await Self.compartmentAndAnalyst(compartment, analyst, connection, logger)
                try await connection.query("UPDATE analyst SET home = \(id), access_version = access_version + 1 WHERE name = \(analyst)", logger: logger)
            }
        }
    }

    /// Moves the cell `record` to `compartment`, under the placement head (see
    /// ``PostgresAccess/lockPlacements(_:_:)``): the cell's compartments and those of the
    /// signals naming it (by one of its numbers, or by id) are read after the lock, so no
    /// concurrent push or move changes them meanwhile. An analyst is answered alike for a record
    /// that does not exist and one they may not read, and for a compartment that does not exist
    /// and one they may not write.
    package func move(record: RecordID, to compartment: String, by analyst: String?, at time: Int64) async throws {
        try await mapErrors { [self] in
            try await client.withTransaction(logger: logger) { connection in
                var changes = PlacementChanges(head: try await PostgresAccess.lockPlacements(connection, logger), time: time)
                let access = try await PostgresAccess.read(analysts: analyst.map { [$0] } ?? [], connection, logger).access
                var found: (kind: String, compartments: [Int64])?
                for try await row in try await connection.query("SELECT kind, compartments FROM record WHERE id = \(record.rawValue)", logger: logger)
                    .decode((String, [Int64]).self) {
                    found = row
                }
                let rules = analyst.map { access.rules(for: $0) }
                guard let (kind, before) = found, rules?.mayRead(before) ?? true else { throw CompartmentError.recordNotFound(record) }
                guard kind == RecordSchema.cell.kind else { throw CompartmentError.notACell(record) }
                guard let target = try? access.compartmentID(compartment) else {
                    if analyst != nil { throw CompartmentError.moveNotCleared(record: record, compartment: compartment) }
                    throw CompartmentError.notFound(compartment)
                }
                if let rules {
                    for id in before.sorted() + [target] where !rules.write.contains(id) {
                        throw CompartmentError.moveNotCleared(record: record, compartment: access.names[id] ?? compartment)
                    }
                }
                changes.place(record.rawValue, stored: before, to: [target], logged: true)
                if access.compartmented {
                    // Signals tagged with one of the cell's numbers, or naming it by id, gain its new compartment.
                    let signals = try await connection.query("""
                        SELECT rec.id, rec.compartments FROM record rec WHERE rec.id IN (
                            SELECT t.signal FROM cell_number n JOIN signal_tag t ON t.number = n.number WHERE n.record = \(record.rawValue)
                            UNION SELECT signal FROM signal_ref WHERE cell = \(record.rawValue))
                        """, logger: logger)
                    for try await (signal, stored) in signals.decode((String, [Int64]).self) where !stored.contains(target) {
                        changes.place(signal, stored: stored, to: stored + [target], logged: true)
                    }
                }
                try await changes.write(connection, logger)
            }
        }
    }

    /// The compartments of `record` as the store holds them; nil for a record it does not hold.
    package func compartments(of record: RecordID) async throws -> [String]? {
        try await mapErrors { [self] in
            var names: [Int64: String] = [:]
            for try await (id, name) in try await client.query("SELECT id, name FROM compartment", logger: logger).decode((Int64, String).self) {
                names[id] = name
            }
            for try await compartments in try await client.query("SELECT compartments FROM record WHERE id = \(record.rawValue)", logger: logger)
                .decode([Int64].self) {
                return compartments.compactMap { names[$0] }.sorted()
            }
            return nil
        }
    }

    /// The compartment's id, after checking that it and the analyst exist.
    private static func compartmentAndAnalyst(_ compartment: String, _ analyst: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        var known = false
        for try await _ in try await connection.query("SELECT name FROM analyst WHERE name = \(analyst)", logger: logger).decode(String.self) { known = true }
        guard known else { throw AnalystError.notFound(analyst) }
        for try await id in try await connection.query("SELECT id FROM compartment WHERE name = \(compartment)", logger: logger).decode(Int64.self) {
            return id
        }
        throw CompartmentError.notFound(compartment)
    }

    /// Tells every analyst again at their next sync: what a colleague reads changed (see
    /// ``AccessUpdate/colleagues``), and their own clearances may have. Only once a compartment
    /// besides the default exists: a team without one is told nothing new.
    static func bumpTeamAccess(_ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("""
            UPDATE analyst SET access_version = access_version + 1 WHERE (SELECT count(*) FROM compartment) > 1
            """, logger: logger)
    }

    /// What each active analyst reads among the compartments `rules` read.
    static func colleagues(readableBy rules: AccessRules, _ access: PostgresAccess, _ connection: PostgresConnection, _ logger: Logger) async throws -> [String: [String]] {
        var colleagues: [String: [String]] = [:]
        let rows = try await connection.query("""
            SELECT a.name, coalesce(array_agg(c.compartment) FILTER (WHERE c.compartment IS NOT NULL), '{}')
            FROM analyst a LEFT JOIN clearance c ON c.analyst = a.name WHERE a.revoked IS NULL GROUP BY a.name
            """, logger: logger)
        for try await (name, compartments) in rows.decode((String, [Int64]).self) {
            colleagues[name] = access.names(of: compartments.filter(rules.read.contains))
        }
        return colleagues
    }
}
