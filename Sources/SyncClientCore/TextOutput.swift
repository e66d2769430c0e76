import Foundation
package import LocalStore
package import SyncModel

/// Human-readable output. Plain text: no colour, stable for tests and pipes.
package enum TextOutput {
    /// `2026-11-21 19:35:02 UTC`.
    package static func humanTime(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// `2026-11-21T19:35:02.123Z`.
    package static func isoTime(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// The milliseconds since 1970 of a time ``isoTime(_:)`` wrote; nil for other text.
    package static func isoMilliseconds(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }

    /// A value on one or more lines: lists as bullets, prose as-is.
    package static func render(_ value: FieldValue, indent: String = "  ") -> String {
        switch value {
        case .null: return indent + "(unset)"
        case .list(let items) where items.isEmpty: return indent + "(none)"
        case .list(let items): return items.map { indent + "• " + $0 }.joined(separator: "\n")
        case .text(let text): return text.split(separator: "\n", omittingEmptySubsequences: false).map { indent + $0 }.joined(separator: "\n")
        default: return indent + value.summary
        }
    }

    static func inline(_ value: FieldValue) -> String {
        switch value {
        case .null: return "—"
        case .list(let items): return items.isEmpty ? "—" : items.joined(separator: ", ")
        case .text(let text): return text
        default: return value.summary
        }
    }

    /// How a sentence names a record: `cell 20`, or `signal 3f2a9c1e`.
    package static func name(of record: RecordSnapshot) -> String {
        record.kind == "cell" ? "cell \(record.value("number").int.map(String.init) ?? record.id.short)" : "\(record.kind) \(record.id.short)"
    }

    /// The line a `set` prints, when it has something to say: that nothing was written, or
    /// which conflict the write closed.
    package static func setOutcome(_ outcome: SetOutcome, record: RecordSnapshot, field: String, value: FieldValue) -> String? {
        let label = name(of: record)
        switch outcome {
        case .unchanged:
            let shown = inline(value)
            return "\(label) \(field) is already \(shown.count > 60 || shown.contains("\n") ? "that value" : "'\(shown)'"); nothing written."
        case .written(_, let closed?):
            return "Resolved conflict \(closed) on \(label) \(field): the new value supersedes every head. Sync to close it on every replica."
        case .written(_, nil):
            return nil
        }
    }

    /// Pads columns to their widest cell.
    package static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `cell show`: the header, the sections in dashboard order, conflict marks, then the
    /// signal backlog newest first with direction, source and the other cells each touches.
    package static func cell(_ cell: RecordSnapshot, signals: [RecordSnapshot], style: TextStyle) -> String {
        var lines: [String] = []
        let number = cell.value("number").int.map { "Cell \($0)" } ?? "Cell (no number)"
        lines.append(style.bold("\(number) — \(cell.text("title") ?? "(untitled)")") + (cell.deleted ? style.warning("  [deleted]") : "")
                     + conflictMark(cell, "title", style) + conflictMark(cell, "number", style))
        if let warning = deletionWarning(cell, style) { lines.append(warning) }
        var header: [String] = []
        if let tier = cell.text("tier") { header.append(tier + conflictMark(cell, "tier", style)) }
        if let trajectory = cell.text("trajectory") { header.append("Trajectory: " + style.trajectory(trajectory) + conflictMark(cell, "trajectory", style)) }
        if let trend = cell.text("trend") { header.append("Trend: " + trend + conflictMark(cell, "trend", style)) }
        if !header.isEmpty { lines.append(header.joined(separator: " · ")) }
        if let assessed = cell.text("lastAssessed") { lines.append("Last assessed: " + style.date(assessed) + conflictMark(cell, "lastAssessed", style)) }
        lines.append(style.dim("id \(cell.id)"))
        let sections: [(String, String)] = [
            ("problemStatement", "Problem Statement"), ("articulatedGoal", "Articulated Goal"),
            ("commitments", "Commitments"), ("strategicLogic", "Strategic Logic"),
            ("keyIndicators", "Key Indicators"), ("assessment", "Assessment"),
            ("crosswinds", "Crosswinds & Contradictions"), ("sources", "Sources"),
        ]
        for (field, title) in sections {
            let value = cell.value(field)
            if value.isNull || value == .list([]) { continue }
            lines.append("")
            lines.append(style.bold(title) + conflictMark(cell, field, style))
            switch value {
            case .text(let text): lines += style.wrap(text, indent: "  ")
            case .list(let items):
                for (index, item) in items.enumerated() {
                    let bullet = field == "keyIndicators" ? "\(index + 1). " : "• "
                    let wrapped = style.wrap(item, indent: String(repeating: " ", count: 2 + bullet.count))
                    lines.append("  " + bullet + wrapped[0].dropFirst(2 + bullet.count))
                    lines += wrapped.dropFirst()
                }
            default: lines.append("  " + value.summary)
            }
        }
        let related = cell.list("relatedCells")
        if !related.isEmpty {
            lines.append("")
            lines.append(style.bold("Related cells: ") + related.joined(separator: ", ") + conflictMark(cell, "relatedCells", style))
        }
        let shown = Set(["title", "number", "tier", "trajectory", "trend", "lastAssessed", "relatedCells"] + sections.map(\.0))
        for conflict in cell.conflicts where !shown.contains(conflict.field) && conflict.field != RecordSchema.deletedFieldName {
            lines.append("")
            lines.append(style.warning("! \(conflict.field) is in conflict: see `sync-client conflicts show \(conflict.id)`"))
        }
        if !signals.isEmpty {
            let own = cell.value("number").int.map(String.init)
            lines.append("")
            lines.append(style.bold("Signal Backlog") + " (\(signals.count), newest first)")
            for signal in signals {
                lines.append("")
                lines.append("  " + style.date(signal.text("date") ?? "—"))
                lines += style.wrap(signal.text("title") ?? "(untitled)", indent: "  ").map { style.bold($0) }
                var facts: [String] = []
                if let direction = signal.text("direction") {
                    facts.append(style.trajectory(direction) + (signal.text("directionNote").map { " (\($0))" } ?? ""))
                }
                if let source = signal.text("source") { facts.append("Source: " + source) }
                let others = signal.list("cells").filter { $0 != own }
                if !others.isEmpty { facts.append("Also: cells " + others.joined(separator: ", ")) }
                if !facts.isEmpty { lines += style.wrap(facts.joined(separator: " · "), indent: "  ") }
                lines.append(style.dim("  signal \(signal.id.short)") + (signal.conflicts.isEmpty ? "" : style.warning("  ! in conflict")))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The line under a record's title while its deletion is in conflict: it is shown, but may go.
    static func deletionWarning(_ record: RecordSnapshot, _ style: TextStyle) -> String? {
        guard let id = record.fields[RecordSchema.deletedFieldName]?.conflict else { return nil }
        return style.warning("! deleted on one replica while kept or edited on another; shown until resolved: see `sync-client conflicts show \(id)`")
    }

    static func conflictMark(_ record: RecordSnapshot, _ field: String, _ style: TextStyle) -> String {
        guard let id = record.fields[field]?.conflict else { return "" }
        return style.warning("  ! in conflict: see `sync-client conflicts show \(id)`")
    }

    /// `signal show`.
    package static func signal(_ signal: RecordSnapshot, style: TextStyle) -> String {
        var lines: [String] = []
        lines.append(style.date(signal.text("date") ?? "—") + conflictMark(signal, "date", style))
        lines.append(style.bold(signal.text("title") ?? "(untitled)") + (signal.deleted ? style.warning("  [deleted]") : "") + conflictMark(signal, "title", style))
        if let warning = deletionWarning(signal, style) { lines.append(warning) }
        lines.append(style.dim("id \(signal.id)"))
        if let direction = signal.text("direction") {
            lines.append("Direction: " + style.trajectory(direction) + (signal.text("directionNote").map { " (\($0))" } ?? "")
                         + conflictMark(signal, "direction", style) + conflictMark(signal, "directionNote", style))
        }
        if let source = signal.text("source") { lines.append("Source: " + source + conflictMark(signal, "source", style)) }
        let cells = signal.list("cells")
        if !cells.isEmpty { lines.append("Cells: " + cells.joined(separator: ", ") + conflictMark(signal, "cells", style)) }
        if let body = signal.text("body") {
            lines.append("")
            let bodyMark = conflictMark(signal, "body", style)
            if !bodyMark.isEmpty { lines.append(String(bodyMark.drop { $0 == " " })) }
            lines += style.wrap(body, indent: "  ")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `conflicts show`: base, each head with author, replica and time, and how to resolve.
    package static func conflict(_ conflict: Conflict, recordLabel: String, ownReplicas: Set<ReplicaID>, style: TextStyle) -> String {
        if conflict.isSharedNumber { return sharedNumber(conflict, ownReplicas: ownReplicas, style: style) }
        if conflict.field == RecordSchema.deletedFieldName { return deletion(conflict, recordLabel: recordLabel, ownReplicas: ownReplicas, style: style) }
        var lines: [String] = []
        lines.append("Conflict \(conflict.id) on \(recordLabel), field '\(conflict.field)'")
        if let base = conflict.base {
            lines.append("")
            lines.append(style.bold("Base") + " — \(base.author), replica \(base.dot.replica.short), \(style.time(base.time)):")
            lines += block(base.value, style: style)
        } else {
            lines.append("")
            lines.append("Base — none (the field was first written concurrently)")
        }
        for (index, head) in conflict.heads.enumerated() {
            let mine = ownReplicas.contains(head.dot.replica) ? " (this replica)" : ""
            lines.append("")
            lines.append(style.bold("Head \(index + 1)") + " — \(head.author), replica \(head.dot.replica.short)\(mine), \(style.time(head.time)):")
            lines += block(head.value, style: style)
        }
        if conflict.field == RecordSchema.deletedFieldName {
            lines.append("")
            lines.append("The record was deleted on one side while edited on the other; it stays visible until resolved.")
            lines.append("Resolve with: sync-client resolve \(conflict.id) --keep | --delete")
            return lines.joined(separator: "\n") + "\n"
        }
        if let schema = SchemaRegistry.standard[conflict.kind]?.field(conflict.field) {
            lines += differences(conflict, schema: schema)
        }
        lines.append("")
        let shownHead = conflict.heads.lastIndex { $0.value == conflict.provisional }
        if case .text(let text) = conflict.provisional, text.contains("\n"), let shownHead {
            lines.append("Shown until resolved: head \(shownHead + 1) (\(conflict.heads[shownHead].author)), the latest")
        } else {
            lines.append("Shown until resolved: \(inline(conflict.provisional))")
        }
        lines.append("Resolve with: sync-client resolve \(conflict.id) --mine | --theirs | --value VALUE | --file PATH | --edit")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `conflicts show` for a record deleted on one side and kept or edited on another: what
    /// each head did, in words, and the choices that apply.
    static func deletion(_ conflict: Conflict, recordLabel: String, ownReplicas: Set<ReplicaID>, style: TextStyle) -> String {
        let resolutionsOnly = conflict.heads.allSatisfy { $0.field == RecordSchema.deletedFieldName }
        var lines = ["Conflict \(conflict.id) on \(recordLabel): "
            + (resolutionsOnly ? "two resolutions disagree, one keeping the record and one deleting it"
                               : "the record was deleted on one side while edited on another")]
        for (index, head) in conflict.heads.enumerated() {
            let mine = ownReplicas.contains(head.dot.replica) ? " (this replica)" : ""
            let what: String
            switch (head.field, head.value) {
            case (RecordSchema.deletedFieldName, .bool(true)): what = "deleted the record"
            case (RecordSchema.deletedFieldName, _): what = "kept the record"
            case (let field, let value):
                let shown = inline(value)
                what = "set \(field) to " + (shown.count > 60 || shown.contains("\n") ? "a new value (\(shown.count) characters)" : "'\(shown)'")
            }
            lines += ["", style.bold("Head \(index + 1)") + " — \(head.author), replica \(head.dot.replica.short)\(mine), \(style.time(head.time)): \(what)"]
        }
        let sides = [true, false].filter { here in conflict.heads.contains { ownReplicas.contains($0.dot.replica) == here } }
        let choices = ["--keep", "--delete"] + (sides.count == 2 ? ["--mine", "--theirs"] : [])
        lines += ["", "The record stays visible until resolved.", "Resolve with: sync-client resolve \(conflict.id) " + choices.joined(separator: " | ")]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `conflicts show` for live cells that share a number: who numbered each, and how to settle it.
    static func sharedNumber(_ conflict: Conflict, ownReplicas: Set<ReplicaID>, style: TextStyle) -> String {
        let number = inline(conflict.provisional)
        var lines = ["Conflict \(conflict.id): \(conflict.records.count) live cells are numbered \(number)", ""]
        for record in conflict.records {
            lines.append(style.bold("Cell \(record.short)") + " (\(record))")
            for head in conflict.heads where head.record == record {
                let mine = ownReplicas.contains(head.dot.replica) ? " (this replica)" : ""
                lines.append("  numbered \(number) by \(head.author), replica \(head.dot.replica.short)\(mine), \(style.time(head.time))")
            }
        }
        let first = conflict.records[0].short
        lines += ["", "Neither answers to \(number) alone until one is renumbered or deleted, on any replica; the conflict then closes everywhere.",
                  "Settle it with: sync-client cell set \(first) number N   or   sync-client cell delete \(first)"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Each head's diff against the base, for prose and lists; a summary of sizes instead where
    /// the heads are too far apart to merge (or one to diff) within the bound every replica keeps.
    static func differences(_ conflict: Conflict, schema: FieldSchema) -> [String] {
        var budget = DiffBudget()
        guard let outcome = FieldMerge.mergeLines(field: schema, heads: conflict.heads, base: conflict.base, budget: &budget) else { return [] }
        let base = editableLines(conflict.base?.value ?? .null)
        var lines: [String] = []
        if outcome == .beyondBudget {
            lines += ["", "The heads differ too much to merge line by line, so each is kept whole. In brief:",
                      "  base:   " + LineSummary.describe(base, against: nil)]
            for (index, head) in conflict.heads.enumerated() {
                lines.append("  head \(index + 1) (\(head.author)): " + LineSummary.describe(editableLines(head.value), against: base))
            }
            return lines
        }
        for (index, head) in conflict.heads.enumerated() {
            lines.append("")
            let headLines = editableLines(head.value)
            let label = "head \(index + 1) (\(head.author))"
            switch UnifiedDiff.render(from: base, to: headLines, fromLabel: "base", toLabel: label) {
            case nil: lines.append("\(label) differs too much from the base to diff line by line: " + LineSummary.describe(headLines, against: base))
            case ""?: lines.append("(head \(index + 1) is the same as the base)")
            case let diff?: lines.append(String(diff.dropLast()))
            }
        }
        return lines
    }

    /// A value as indented lines: prose wrapped to the width, lists as bullets.
    static func block(_ value: FieldValue, style: TextStyle) -> [String] {
        switch value {
        case .text(let text): return style.wrap(text, indent: "  ")
        case .list(let items) where !items.isEmpty: return items.flatMap { style.wrap("• " + $0, indent: "  ") }
        default: return [render(value)]
        }
    }

    /// A value as the lines a person edits: prose by line, lists one item per line.
    package static func editableLines(_ value: FieldValue) -> [String] {
        switch value {
        case .null: return []
        case .list(let items): return items
        case .text(let text): return FieldMerge.lines(text)
        default: return [value.summary]
        }
    }

    /// `dashboard`.
    package static func dashboard(_ rows: [DashboardRow], style: TextStyle) -> String {
        if rows.isEmpty { return "No cells yet. Create one with `sync-client cell create --number N --title T`.\n" }
        let cells = rows.map { row in
            [row.number.map(String.init) ?? "—", row.title ?? "", row.trajectory ?? "—", row.trend ?? "—", row.lastAssessed ?? "—",
             String(row.signals), row.newestSignal ?? "—",
             row.openConflicts == 0 ? "" : String(row.openConflicts) + (row.sharedNumber ? " (number shared)" : "")]
        }
        let full = ["CELL", "TITLE", "TRAJECTORY", "TREND", "ASSESSED", "SIGNALS", "NEWEST", "CONFLICTS"]
        let short = ["CELL", "TITLE", "TRAJ.", "TREND", "ASSESSED", "SIG", "NEWEST", "!"]
        if width(of: full, cells) <= style.width { return table(full, cells) + "\n" }
        // Narrower: short headers, then titles and trends cut (each cell's page shows them
        // whole), then without the newest signal's date, then cut further.
        var header = short, body = cells
        let steps: [(column: String, limit: Int?)] = [("TITLE", 24), ("TREND", 12), ("NEWEST", nil), ("TITLE", 12), ("TREND", 6), ("TITLE", 8)]
        for step in steps where width(of: header, body) > style.width {
            guard let column = header.firstIndex(of: step.column) else { continue }
            guard let limit = step.limit else {
                header.remove(at: column)
                body = body.map { var row = $0; row.remove(at: column); return row }
                continue
            }
            let excess = width(of: header, body) - style.width
            let widest = body.map { $0[column].count }.max() ?? 0
            let cut = max(limit, widest - excess)
            body = body.map { row in
                var row = row
                if row[column].count > cut { row[column] = String(row[column].prefix(cut - 1)) + "…" }
                return row
            }
        }
        return table(header, body) + "\n"
    }

    /// The width ``table(_:_:)`` gives these rows.
    static func width(of header: [String], _ rows: [[String]]) -> Int {
        header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }.reduce(0, +) + 2 * (header.count - 1)
    }

    /// `status`; `labels` names each pending record for people; the last sync is dated as every
    /// human time is (`2026-02-18 09:30:00 UTC, 3 days ago`), by `style`'s clock.
    package static func status(_ status: OutputJSON.Status, labels: [String: String], style: TextStyle = .forTerminal(now: WallClock.now())) -> String {
        var lines = [
            "Replica  \(status.replica) (analyst \(status.analyst))",
            "Server   \(status.server)",
            "Holds    \(status.versions) versions",
        ]
        if status.pending == 0 {
            lines.append("Pending  nothing to send")
        } else {
            lines.append("Pending  \(status.pending) version\(status.pending == 1 ? "" : "s") to send:")
            for record in status.pendingRecords {
                lines.append("  \(labels[record.record] ?? record.record)  \(record.versions) version\(record.versions == 1 ? "" : "s")")
            }
        }
        if status.carrying > 0 {
            lines.append("Carrying \(status.carrying) version\(status.carrying == 1 ? "" : "s") of other analysts, received by bundle, to send")
        }
        lines.append("Conflicts \(status.openConflicts) open\(status.openConflicts > 0 ? " (see `sync-client conflicts`)" : "")")
        lines.append("Synced   " + (status.lastSync.map { "\(isoMilliseconds($0.time).map(style.time) ?? $0.time) with \($0.server)" } ?? "never"))
        if let clearances = status.clearances { lines.append("Cleared  " + clearances.joined(separator: ", ")) }
        for removal in status.removed ?? [] { lines.append("Removed  " + removal) }
        switch status.history {
        case "joining": lines.append("History  a shallow join is under way: `sync-client sync` brings the current state")
        case "arriving": lines.append("History  still arriving after a shallow join: `sync-client sync --history` brings it (each sync brings a page)")
        default: break
        }
        if let watch = status.watch { lines.append(watchLine(watch, style: style)) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `Watching …` while a watch runs (with its last event), else when the last one stopped.
    static func watchLine(_ watch: OutputJSON.Status.Watch, style: TextStyle) -> String {
        let time = { (text: String) in isoMilliseconds(text).map(style.time) ?? text }
        let last = watch.last.map { " Last: \($0.split(separator: "\n").first ?? "")" + (watch.lastTime.map { " (\(time($0)))" } ?? "") } ?? ""
        guard watch.running else {
            return "Watch    not running (the last one, process \(watch.pid), was last seen \(time(watch.heartbeat))).\(last)"
        }
        let outage = watch.unreachableSince.map { "; the server has been unreachable since \(time($0)), \(watch.failedAttempts) tries" } ?? ""
        return "Watch    running (process \(watch.pid), since \(time(watch.started))\(outage)).\(last)"
    }
}
