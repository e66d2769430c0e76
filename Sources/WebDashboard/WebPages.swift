import Foundation
import LocalStore
import SyncClientCore
import SyncModel

/// The pages' contents, read from the replica: plain values for the templates.
struct WebPages {
    let replica: Replica
    let guardian: WebGuard

    /// What every page shows around its content: the banner and the form secret.
    func frame(said: String? = nil, refused: String? = nil) throws -> [String: Any] {
        let pending = try replica.pendingCount()
        let conflicts = try replica.store.conflicts().count
        var frame: [String: Any] = [
            "csrf": guardian.csrf, "pending": pending, "onePending": pending == 1,
            // What the page shows, for the banner that says when the replica holds more.
            "versions": try replica.store.versionVector().total,
            "openConflicts": conflicts, "oneConflict": conflicts == 1,
            "lastSync": try replica.lastSync().map { "last synced \(TextOutput.humanTime($0.time)) with \($0.server)" } ?? "never synced",
        ]
        // What revoked clearances took off this laptop, the latest few, so nobody wonders
        // where a cell went.
        let removals = try replica.removals().suffix(3).reversed().map { ["text": "\(TextOutput.humanTime($0.time)): \($0.sentence)"] }
        if !removals.isEmpty { frame["removals"] = Array(removals) }
        if let said { frame["said"] = said }
        if let refused { frame["refused"] = refused }
        return frame
    }

    static let dashboardColumns: [(key: String, name: String)] = [
        ("number", "No."), ("title", "Cell"), ("trajectory", "Trajectory"), ("trend", "Trend"),
        ("lastAssessed", "Last assessed"), ("signals", "Signals"), ("newest", "Newest signal"), ("conflicts", "Open conflicts"),
    ]

    func dashboard(sort: String?) throws -> [String: Any] {
        let directory = try CellDirectory(store: replica.store)
        var rows = DashboardRow.rows(cells: try replica.store.records(kind: "cell", fields: Self.cellSummaryFields),
                                     signals: directory.shown(try SignalSummary.signals(in: replica.store)))
        let key = Self.dashboardColumns.contains { $0.key == sort } ? sort! : "number"
        switch key {
        case "title": rows.sort { ($0.title ?? "").localizedLowercase < ($1.title ?? "").localizedLowercase }
        case "trajectory": rows.sort { ($0.trajectory ?? "~") < ($1.trajectory ?? "~") }
        case "trend": rows.sort { ($0.trend ?? "~") < ($1.trend ?? "~") }
        case "lastAssessed": rows.sort { ($0.lastAssessed ?? "") > ($1.lastAssessed ?? "") }
        case "signals": rows.sort { $0.signals > $1.signals }
        case "newest": rows.sort { ($0.newestSignal ?? "") > ($1.newestSignal ?? "") }
        case "conflicts": rows.sort { $0.openConflicts > $1.openConflicts }
        default: break
        }
        return [
            "columns": Self.dashboardColumns.map { ["key": $0.key, "name": $0.name, "sorted": $0.key == key] as [String: Any] },
            "rows": rows.map { row -> [String: Any] in
                ["id": row.id, "number": row.number.map(String.init) ?? "", "title": row.title ?? "(untitled)", "trajectory": row.trajectory ?? "",
                 "trend": row.trend ?? "", "lastAssessed": row.lastAssessed ?? "", "signals": row.signals, "newestSignal": row.newestSignal ?? "",
                 "openConflicts": row.openConflicts, "conflicted": row.openConflicts > 0]
            },
        ]
    }

    /// A cell laid out as the dashboard's cell pages are: facts, the sections in order, the
    /// signal backlog newest first, and its open conflicts marked where they are.
    func cell(_ reference: String) throws -> (title: String, context: [String: Any]) {
        let directory = try CellDirectory(store: replica.store)
        let record = directory.shown(try RecordLookup(store: replica.store).cell(reference))
        let schema = replica.store.schemas["cell"] ?? RecordSchema.cell
        let conflicts = Dictionary(record.conflicts.map { ($0.field, $0.id.description) }, uniquingKeysWith: { first, _ in first })
        let number = record.value("number").int.map(String.init) ?? ""
        let titles = Dictionary(try replica.store.records(kind: "cell", fields: ["title"]).map { ($0.id.rawValue, $0.text("title") ?? "") }, uniquingKeysWith: { first, _ in first })
        var facts: [[String: Any]] = []
        var sections: [[String: Any]] = []
        for field in schema.fields where !["number", "title"].contains(field.name) {
            var entry: [String: Any] = ["field": field.name, "name": WebPage.label(field.name)]
            if let id = conflicts[field.name] { entry["conflict"] = id }
            let value = record.value(field.name)
            switch field.valueType {
            case .text where field.kind != .prose, .date, .label, .int:
                entry["value"] = value.text ?? value.int.map(String.init) ?? "—"
                facts.append(entry)
                continue
            case .cellRefs:
                let links = record.list(field.name).map { ref in link(ref, directory, titles: titles) }
                entry["links"] = links
                entry["hasLinks"] = !links.isEmpty
            case .strings:
                entry["items"] = record.list(field.name)
                entry["hasItems"] = !record.list(field.name).isEmpty
            default:
                entry["paragraphs"] = Self.paragraphs(value.text ?? "")
            }
            sections.append(entry)
        }
        let signals = directory.shown(try SignalSummary.signals(in: replica.store)).filter { $0.list("cells").contains(number) }
            .sorted { ($0.text("date") ?? "", $0.id.rawValue) > ($1.text("date") ?? "", $1.id.rawValue) }
        let backlog = try signals.prefix(Self.backlogRows).enumerated().map { index, signal -> [String: Any] in
            var entry: [String: Any] = ["id": signal.id.rawValue, "date": signal.text("date") ?? "", "title": signal.text("title") ?? "",
                                        "direction": signal.text("direction") ?? ""]
            // Bodies stay on each signal's page; the newest few show how they begin.
            if index < Self.excerptedSignals, let excerpt = SignalSummary.excerpt(try replica.store.record(signal.id)?.text("body")) {
                entry["excerpt"] = excerpt
            }
            if let note = signal.text("directionNote"), !note.isEmpty { entry["note"] = note }
            if let source = signal.text("source"), !source.isEmpty { entry["source"] = source }
            return entry
        }
        let title = record.text("title") ?? "(untitled)"
        var context: [String: Any] = [
            "id": record.id.rawValue, "number": number, "title": title, "facts": facts, "sections": sections, "backlog": backlog,
            "fields": schema.fieldNames, "csrf": guardian.csrf, "timeline": SignalTimeline.svg(signals), "directions": RecordSchema.trajectoryLabels,
            "chart": try chart(record.id),
        ]
        if signals.count > backlog.count {
            context["moreSignals"] = ["shown": backlog.count, "count": signals.count, "href": "/signals?cell=\(number)"] as [String: Any]
        }
        return ("Cell \(number) · \(title)", context)
    }

    /// A cell's history: the trajectory over time, who last set each field, and every version
    /// (of one field, with `field`) newest first.
    func history(_ reference: String, field: String?) throws -> (title: String, context: [String: Any]) {
        let directory = try CellDirectory(store: replica.store)
        let record = directory.shown(try RecordLookup(store: replica.store).cell(reference))
        let schema = replica.store.schemas["cell"] ?? RecordSchema.cell
        let chosen = field.flatMap { $0.isEmpty ? nil : $0 }
        if let chosen, schema.field(chosen) == nil { throw FieldNames.unknown(chosen, kind: "cell") }
        // One more than shown, to know whether there are more.
        let read = try replica.store.history(record: record.id, field: chosen, limit: Self.historyRows + 1)
        let versions = read.prefix(Self.historyRows).map(directory.shown)
        let notes = HistoryNotes(Array(versions))
        let heads = try replica.store.fieldHeads(record: record.id)
        let number = record.value("number").int.map(String.init) ?? ""
        let title = record.text("title") ?? "(untitled)"
        let context: [String: Any] = [
            "id": record.id.rawValue, "number": number, "title": title, "field": chosen ?? "",
            "arriving": try HistoryArriving.note(replica.store) ?? "",
            "shown": read.count > versions.count ? "the newest \(versions.count) versions; choose a field to narrow them, or use sync-client log" : "",
            "fields": schema.fieldNames.map { ["name": $0, "selected": $0 == chosen] as [String: Any] },
            "chart": try chart(record.id),
            "blame": schema.fieldNames.compactMap { name -> [String: Any]? in
                guard let set = heads[name] else { return nil }
                return ["field": name, "by": set.map(\.author).sorted().joined(separator: " + "), "when": TextOutput.humanTime(set.map(\.time).max() ?? 0),
                        "value": record.value(name).summary]
            },
            "versions": versions.map { version -> [String: Any] in
                var entry: [String: Any] = ["time": TextOutput.humanTime(version.time), "author": version.author,
                                            "version": "\(version.dot.replica.short):\(version.dot.counter)", "field": version.field,
                                            "value": chosen == nil ? version.value.summary : TextOutput.render(version.value)]
                if let note = notes.note(version) { entry["note"] = note }
                return entry
            },
        ]
        return ("History of cell \(number) · \(title)", context)
    }

    func signals(cell: String?, direction: String?, from: String?, to: String?) throws -> [String: Any] {
        let directory = try CellDirectory(store: replica.store)
        let wanted = cell.flatMap { $0.isEmpty ? nil : $0 }
        let rows = directory.shown(try SignalSummary.signals(in: replica.store))
            .filter { signal in
                let date = signal.text("date") ?? ""
                return (wanted.map { signal.list("cells").contains($0) } ?? true)
                    && (direction.map { $0.isEmpty || signal.text("direction") == $0 } ?? true)
                    && (from.map { $0.isEmpty || date >= $0 } ?? true)
                    && (to.map { $0.isEmpty || date <= $0 || date.hasPrefix($0) } ?? true)
            }
            .sorted { ($0.text("date") ?? "", $0.id.rawValue) > ($1.text("date") ?? "", $1.id.rawValue) }
            .map { signal -> [String: Any] in
                ["id": signal.id.rawValue, "date": signal.text("date") ?? "", "title": signal.text("title") ?? "", "direction": signal.text("direction") ?? "",
                 "cells": signal.list("cells").map { ref in link(ref, directory) }]
            }
        return [
            "rows": rows, "cell": wanted ?? "", "from": from ?? "", "to": to ?? "",
            "directions": RecordSchema.trajectoryLabels.map { ["name": $0, "selected": $0 == direction] as [String: Any] },
        ]
    }

    /// The trajectory over time; the trend's history is read only when there is a line to label.
    private func chart(_ record: RecordID) throws -> String {
        let trajectory = try replica.store.history(record: record, field: "trajectory")
        guard !trajectory.isEmpty else { return "" }
        return TrajectoryChart.svg(trajectory: trajectory, trend: try replica.store.history(record: record, field: "trend"))
    }

    /// The fields of a cell the dashboard shows: not its prose.
    static let cellSummaryFields = ["number", "title", "trajectory", "trend", "lastAssessed"]

    /// How many of a cell's newest signals show the beginning of their body in its backlog: each
    /// costs a read of the whole body.
    static let excerptedSignals = 10

    /// How many of a cell's newest signals its backlog lists; the signals page lists them all
    /// (the timeline still places every one). A page of a thousand took 15 ms to render.
    static let backlogRows = 100

    /// The most versions the history page lists: the newest.
    static let historyRows = 500

    /// One signal's fields, and the form that edits them.
    func signal(_ reference: String) throws -> (title: String, context: [String: Any]) {
        let record = try CellDirectory(store: replica.store).shown(try RecordLookup(store: replica.store).signal(reference))
        let schema = replica.store.schemas["signal"] ?? RecordSchema.signal
        let conflicts = Dictionary(record.conflicts.map { ($0.field, $0.id.description) }, uniquingKeysWith: { first, _ in first })
        let title = record.text("title") ?? "(untitled)"
        return ("Signal · \(title)", [
            "id": record.id.rawValue, "title": title, "csrf": guardian.csrf, "names": schema.fieldNames,
            "fields": schema.fieldNames.map { name -> [String: Any] in
                var entry: [String: Any] = ["name": WebPage.label(name), "field": name, "value": TextOutput.render(record.value(name))]
                if let id = conflicts[name] { entry["conflict"] = id }
                return entry
            },
        ])
    }

    func conflicts() throws -> [String: Any] {
        let store = replica.store
        return ["rows": try store.conflicts().map { conflict -> [String: Any] in
            ["id": conflict.id.description, "record": try label(conflict.record), "field": conflict.field, "heads": conflict.heads.count]
        }]
    }

    /// A conflict's base and heads side by side, each head's change from the base, and the forms
    /// that resolve it as `sync-client resolve` does.
    func conflict(_ reference: String) throws -> (title: String, context: [String: Any]) {
        let conflict = try replica.store.conflict(reference)
        let own = try replica.ownReplicas()
        let baseLines = TextOutput.editableLines(conflict.base?.value ?? .null)
        let heads = conflict.heads.map { head -> [String: Any] in
            let lines = TextOutput.editableLines(head.value)
            var entry: [String: Any] = ["author": head.author, "mine": own.contains(head.dot.replica), "time": TextOutput.humanTime(head.time),
                                        "value": lines.joined(separator: "\n")]
            if let diff = UnifiedDiff.render(from: baseLines, to: lines, fromLabel: "base", toLabel: head.author), !diff.isEmpty { entry["diff"] = diff }
            return entry
        }
        let context: [String: Any] = [
            "id": conflict.id.description, "field": conflict.field, "record": try label(conflict.record), "csrf": guardian.csrf,
            "base": conflict.base.map { _ in baseLines.joined(separator: "\n") } ?? "(none: the heads share no earlier value)",
            "heads": heads, "deletion": conflict.field == RecordSchema.deletedFieldName, "marked": ConflictChoice.markedText(conflict),
        ]
        return ("Conflict \(conflict.id)", context)
    }

    private func label(_ record: RecordID) throws -> String {
        guard let snapshot = try replica.store.record(record) else { return record.short }
        return TextOutput.name(of: snapshot)
    }

    /// A link to the cell a shown reference (a number) names, labelled with its number and, when
    /// `titles` are given, its title; a number no cell here holds links to itself.
    private func link(_ reference: String, _ directory: CellDirectory, titles: [String: String]? = nil) -> [String: Any] {
        let id = directory.stored(reference)
        let title = titles?[id].map { " · \($0)" } ?? ""
        return ["id": id, "label": reference + title]
    }

    /// Prose as paragraphs: blank lines separate them.
    static func paragraphs(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
