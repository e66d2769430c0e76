import Foundation
import GRDB

/// Independent checks of a field-sync database file, made straight on its SQLite tables.
enum FileCheck {
    /// `PRAGMA integrity_check`'s answer ("ok" for a sound file), followed by every row
    /// `PRAGMA foreign_key_check` finds naming a missing parent (the stores do not check
    /// foreign keys on each insert).
    static func integrity(_ path: String) throws -> String {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            let problems = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            let orphans = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row in
                "\(row[0] as String) row \(row[1] as DatabaseValue) names a missing \(row[2] as String)"
            }
            return (problems + orphans).joined(separator: "; ")
        }
    }

    /// Each replica's counter, after checking that its versions are exactly `1...counter`:
    /// none missing, none twice.
    static func counters(_ path: String) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var result: [String: Int] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.uuid, r.counter, count(v.counter), coalesce(min(v.counter), 0), coalesce(max(v.counter), 0)
                FROM replica r LEFT JOIN version v ON v.replica = r.id GROUP BY r.id
                """)
            for row in rows {
                let uuid: String = row[0], counter: Int = row[1], count: Int = row[2], low: Int = row[3], high: Int = row[4]
                guard count == counter, counter == 0 || (low == 1 && high == counter) else {
                    throw HarnessError("\(path): replica \(uuid) claims \(counter) versions but holds \(count) (\(low)...\(high))")
                }
                if counter > 0 { result[uuid] = counter }
            }
            return result
        }
    }
}
