import Foundation
package import LocalStore
import SyncModel

/// What arrived in a replica since the analyst last looked, or since a point: per record, which
/// fields other analysts changed and who; new records; new and closed conflicts. `sync-client
/// news` prints it and the web dashboard's "since your last visit" page shows it.
///
/// Its `--json` shape (stable, fields only added): `{"since": {"lastLook", "point", "time"},
/// "versions", "authors", "cells": [record], "signals": [record], "newConflicts": [conflict],
/// "closedConflicts": [conflict]}` where a record is `{"id", "kind", "number" (cells), "title",
/// "date" (signals), "new", "fields": [{"field", "by", "versions"}]}` and a conflict
/// `{"id", "record", "kind", "field"}`.
package struct NewsReport: Encodable, Sendable {
    /// What the report counts from.
    package struct Since: Encodable, Sendable {
        /// True for the last look (`time` is null before the first).
        package var lastLook: Bool
        /// The point as given to `--since`.
        package var point: String?
        /// ISO 8601 UTC: the last look, or the moment the point names.
        package var time: String?
        /// The same moment in milliseconds since 1970.
        package var moment: Int64?

        init(lastLook: Bool, point: String? = nil, moment: Int64?) {
            self.lastLook = lastLook
            self.point = point
            self.moment = moment
            time = moment.map(TextOutput.isoTime)
        }

        enum CodingKeys: String, CodingKey { case lastLook, point, time }
    }

    /// One field's new versions: who wrote them, how many.
    package struct FieldNews: Encodable, Sendable, Equatable {
        package var field: String
        package var by: [String]
        package var versions: Int

        package init(field: String, by: [String], versions: Int) {
            self.field = field
            self.by = by
            self.versions = versions
        }
    }

    /// A record with new versions, as it reads now.
    package struct RecordNews: Encodable, Sendable {
        package var id: String
        package var kind: String
        package var number: Int64?
        package var title: String?
        package var date: String?
        /// No version of it was held at the point.
        package var new: Bool
        package var fields: [FieldNews]
    }

    /// A conflict that opened or closed.
    package struct ConflictNews: Encodable, Sendable, Equatable {
        package var id: String
        package var record: String
        package var kind: String
        package var field: String
        /// How people name the record: `cell 20`, `signal 1a2b3c4d`.
        package var shownRecord: String

        enum CodingKeys: String, CodingKey { case id, record, kind, field }
    }

    package var since: Since
    package var versions: Int
    package var authors: [String]
    package var cells: [RecordNews]
    package var signals: [RecordNews]
    package var newConflicts: [ConflictNews]
    package var closedConflicts: [ConflictNews]
    /// What a look that showed this report marks as seen.
    package let mark: NewsMark

    enum CodingKeys: String, CodingKey { case since, versions, authors, cells, signals, newConflicts, closedConflicts }

    /// Nothing arrived and no conflict opened or closed.
    package var isEmpty: Bool { versions == 0 && newConflicts.isEmpty && closedConflicts.isEmpty }

    /// What arrived since the last look (everything received, before the first).
    package static func sinceLastLook(_ replica: Replica, now: Int64) throws -> NewsReport {
        let mark = try replica.newsMark()
        let arrivals = try replica.arrivals(since: mark, at: now)
        return try NewsReport(replica, arrivals, before: mark?.conflicts ?? [],
                              since: Since(lastLook: true, moment: mark?.time))
    }

    /// What other analysts wrote after `point` (a date from its first day, a moment, or a
    /// version: after the moment it was written), with the conflicts open then compared with those open now.
    /// - Throws: ``ClientError`` when `point` names no point.
    package static func since(_ point: String, _ replica: Replica, now: Int64) throws -> NewsReport {
        let moment = try HistoryPoint.start(point, in: replica.store)
        guard moment < now else { throw ClientError("'\(point)' is not in the past; give a point before now to see what arrived since") }
        let arrivals = try replica.arrivals(writtenAfter: moment, at: now)
        // A record no version since the point touched has the conflicts it had then; one that
        // did not exist then had none. Only the others are derived as they stood.
        var before = arrivals.now.conflicts.filter { !arrivals.touched.contains($0.record) }
        for id in arrivals.heldBefore.sorted() {
            guard let record = try replica.store.record(id, asOf: moment) else { continue }
            before += record.conflicts.map { MarkedConflict(id: $0.id, record: id, kind: record.kind, field: $0.field) }
        }
        return try NewsReport(replica, arrivals, before: before, since: Since(lastLook: false, point: point, moment: moment))
    }

    private init(_ replica: Replica, _ arrivals: Arrivals, before: [MarkedConflict], since: Since) throws {
        self.since = since
        mark = arrivals.now
        versions = arrivals.versions
        authors = arrivals.authors.sorted()
        let directory = try CellDirectory(store: replica.store)
        var cells: [RecordNews] = [], signals: [RecordNews] = []
        for arrived in arrivals.records {
            guard let record = try replica.store.record(arrived.id) else { continue }
            var news = RecordNews(id: arrived.id.rawValue, kind: record.kind, new: arrived.isNew, fields: Self.fields(arrived.fields))
            if record.kind == "cell" {
                news.number = record.value("number").int
                news.title = record.text("title")
                cells.append(news)
            } else {
                news.title = record.text("title")
                news.date = record.text("date")
                signals.append(news)
            }
        }
        self.cells = cells.sorted { ($0.number ?? .max, $0.id) < ($1.number ?? .max, $1.id) }
        self.signals = signals.sorted { ($0.date ?? "", $1.id) > ($1.date ?? "", $0.id) }
        let open = Set(arrivals.now.conflicts), earlier = Set(before)
        let name = { (conflict: MarkedConflict) -> ConflictNews in
            let shown = conflict.kind == "cell" ? directory.shown(conflict.record.rawValue) : conflict.record.short
            return ConflictNews(id: conflict.id.rawValue, record: conflict.record.rawValue, kind: conflict.kind, field: conflict.field,
                                shownRecord: "\(conflict.kind) \(shown)")
        }
        newConflicts = open.subtracting(earlier).sorted { $0.id < $1.id }.map(name)
        closedConflicts = earlier.filter { old in !open.contains { $0.id == old.id } }.sorted { $0.id < $1.id }.map(name)
    }

    /// Each field's new versions, by field name: who wrote them and how many.
    static func fields(_ counts: [String: [String: Int]]) -> [FieldNews] {
        counts.map { field, authors in
            FieldNews(field: field, by: authors.keys.sorted(), versions: authors.values.reduce(0, +))
        }.sorted { $0.field < $1.field }
    }
}
