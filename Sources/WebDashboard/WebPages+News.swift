import Foundation
import LocalStore
import SyncClientCore
import SyncModel

/// The "since your last visit" page: what `sync-client news` prints, with links, and a form
/// that marks what the page showed as seen.
extension WebPages {
    /// The page's content: since the last look, or since `point` (a GET form's `since`).
    /// - Throws: ``ClientError`` when `point` names no point.
    func news(since point: String?) throws -> (title: String, context: [String: Any]) {
        let now = WallClock.now()
        let point = point.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        let report = try point.map { try NewsReport.since($0, replica, now: now) } ?? NewsReport.sinceLastLook(replica, now: now)
        let fields = { (fields: [NewsReport.FieldNews]) -> [[String: Any]] in
            fields.map { ["field": NewsReport.fieldName($0.field), "by": $0.by.joined(separator: ", "), "count": $0.versions > 1 ? " (\($0.versions) versions)" : ""] }
        }
        let conflicts = { (conflicts: [NewsReport.ConflictNews]) -> [[String: Any]] in
            conflicts.map { ["id": $0.id, "record": $0.shownRecord, "field": $0.field] }
        }
        var context: [String: Any] = [
            "heading": report.heading, "since": point ?? "", "nothing": report.isEmpty, "csrf": guardian.csrf,
            "cells": report.cells.map { cell -> [String: Any] in
                ["id": cell.id, "number": cell.number.map(String.init) ?? "", "title": cell.title ?? "(untitled)", "new": cell.new,
                 "fields": fields(cell.fields)]
            },
            "newSignals": report.signals.filter(\.new).map { signal -> [String: Any] in
                ["id": signal.id, "date": signal.date ?? "", "title": signal.title ?? "(untitled)", "by": NewsReport.people(signal.fields)]
            },
            "changedSignals": report.signals.filter { !$0.new }.map { signal -> [String: Any] in
                ["id": signal.id, "date": signal.date ?? "", "title": signal.title ?? "(untitled)", "fields": fields(signal.fields)]
            },
            "newConflicts": conflicts(report.newConflicts), "closedConflicts": conflicts(report.closedConflicts),
        ]
        for name in ["cells", "newSignals", "changedSignals", "newConflicts", "closedConflicts"] {
            context["has" + name.prefix(1).uppercased() + name.dropFirst()] = !((context[name] as? [Any])?.isEmpty ?? true)
        }
        // Only the last look is marked, and only as far as this page showed.
        if point == nil {
            context["mark"] = ["vector": report.mark.vector.text, "conflicts": report.mark.conflicts.map(\.id.rawValue).joined(separator: " ")]
        }
        return ("Since your last visit", context)
    }

    /// Marks as seen what a news page showed: the vector and the open conflicts its form carries.
    /// - Throws: ``ClientError`` for a form that names no state this replica could have shown.
    func markSeen(_ form: [String: String]) throws {
        guard let vector = VersionVector(text: form["vector"] ?? "") else {
            throw ClientError("The form does not say what the page showed; nothing was marked. Reload the page and try again.")
        }
        let ids = (form["conflicts"] ?? "").split(separator: " ").map(String.init)
        let parsed = ids.compactMap(ConflictID.init)
        guard parsed.count == ids.count else {
            throw ClientError("The form names a conflict id that is not one; nothing was marked. Reload the page and try again.")
        }
        // A conflict the page listed is named from what is open now, or from the last mark.
        var known: [ConflictID: MarkedConflict] = [:]
        for conflict in try replica.newsMark()?.conflicts ?? [] { known[conflict.id] = conflict }
        for conflict in try replica.store.conflicts() { known[conflict.id] = MarkedConflict(conflict) }
        try replica.moveNewsMark(to: NewsMark(vector: vector, conflicts: parsed.compactMap { known[$0] }, time: WallClock.now()))
    }
}
