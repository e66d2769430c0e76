import Foundation
public import LocalStore
public import SyncModel

/// Human-readable output. Plain text: no colour, stable for tests and pipes.
public enum TextOutput {
    /// `2026-11-21 19:35:02 UTC`.
    public static func humanTime(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// `2026-11-21T19:35:02.123Z`.
    public static func isoTime(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// A value on one or more lines: lists as bullets, prose as-is.
    public static func render(_ value: FieldValue, indent: String = "  ") -> String {
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

    /// Pads columns to their widest cell.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `cell show`: the header, sections in dashboard order, then conflict marks.
    public static func cell(_ cell: RecordSnapshot, signals: [RecordSnapshot]) -> String {
        var lines: [String] = []
        let number = cell.value("number").int.map { "Cell \($0)" } ?? "Cell (no number)"
        lines.append("\(number) — \(cell.text("title") ?? "(untitled)")\(cell.deleted ? "  [deleted]" : "")")
        lines.append("id \(cell.id)")
        lines.append("Tier: \(inline(cell.value("tier")))   Trajectory: \(inline(cell.value("trajectory")))   Trend: \(inline(cell.value("trend")))   Last assessed: \(inline(cell.value("lastAssessed")))")
        let titles: [(String, String)] = [
            ("problemStatement", "Problem Statement"), ("articulatedGoal", "Articulated Goal"),
            ("commitments", "Commitments"), ("strategicLogic", "Strategic Logic"),
            ("keyIndicators", "Key Indicators"), ("assessment", "Assessment"),
            ("crosswinds", "Crosswinds & Contradictions"), ("sources", "Sources"),
            ("relatedCells", "Related Cells"),
        ]
        for (field, title) in titles {
            let value = cell.value(field)
            if value.isNull || value == .list([]) { continue }
            lines.append("")
            lines.append(title + conflictMark(cell, field))
            lines.append(render(value))
        }
        let marked = Set(titles.map(\.0))
        for conflict in cell.conflicts where !marked.contains(conflict.field) {
            lines.append("")
            lines.append("! \(conflict.field) is in conflict: see `sync-client conflicts show \(conflict.id)`")
        }
        if !signals.isEmpty {
            lines.append("")
            lines.append("Signal Backlog")
            for signal in signals {
                lines.append("  \(inline(signal.value("date")))  \(signal.text("title") ?? "")  [\(inline(signal.value("direction")))]  \(signal.id.short)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func conflictMark(_ record: RecordSnapshot, _ field: String) -> String {
        guard let id = record.fields[field]?.conflict else { return "" }
        return "  ! in conflict: see `sync-client conflicts show \(id)`"
    }

    /// `signal show`.
    public static func signal(_ signal: RecordSnapshot) -> String {
        var lines: [String] = []
        lines.append("\(inline(signal.value("date")))  \(signal.text("title") ?? "(untitled)")\(signal.deleted ? "  [deleted]" : "")")
        lines.append("id \(signal.id)")
        let direction = inline(signal.value("direction")) + (signal.text("directionNote").map { " (\($0))" } ?? "")
        lines.append("Direction: \(direction)")
        lines.append("Source: \(inline(signal.value("source")))")
        lines.append("Cells: \(inline(signal.value("cells")))")
        if let body = signal.text("body") {
            lines.append("")
            lines.append(render(.text(body)))
        }
        for conflict in signal.conflicts {
            lines.append("! \(conflict.field) is in conflict: see `sync-client conflicts show \(conflict.id)`")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `conflicts show`: base, each head with author, replica and time, and how to resolve.
    public static func conflict(_ conflict: Conflict, recordLabel: String, ownReplicas: Set<ReplicaID>) -> String {
        var lines: [String] = []
        lines.append("Conflict \(conflict.id) on \(recordLabel), field '\(conflict.field)'")
        if let base = conflict.base {
            lines.append("")
            lines.append("Base — \(base.author), replica \(base.dot.replica.short), \(humanTime(base.time)):")
            lines.append(render(base.value))
        } else {
            lines.append("")
            lines.append("Base — none (the field was first written concurrently)")
        }
        for (index, head) in conflict.heads.enumerated() {
            let mine = ownReplicas.contains(head.dot.replica) ? " (this replica)" : ""
            lines.append("")
            lines.append("Head \(index + 1) — \(head.author), replica \(head.dot.replica.short)\(mine), \(humanTime(head.time)):")
            lines.append(render(head.value))
        }
        if conflict.field == RecordSchema.deletedField.name {
            lines.append("")
            lines.append("The record was deleted on one side while edited on the other; it stays visible until resolved.")
            lines.append("Resolve with: sync-client resolve \(conflict.id) --keep | --delete")
            return lines.joined(separator: "\n") + "\n"
        }
        let kind = SchemaRegistry.standard[conflict.kind]?.field(conflict.field)?.kind
        if kind == .prose || kind == .list {
            let base = editableLines(conflict.base?.value ?? .null)
            for (index, head) in conflict.heads.enumerated() {
                lines.append("")
                let diff = UnifiedDiff.render(from: base, to: editableLines(head.value), fromLabel: "base",
                                              toLabel: "head \(index + 1) (\(head.author))")
                lines.append(diff.isEmpty ? "(head \(index + 1) is the same as the base)" : String(diff.dropLast()))
            }
        }
        lines.append("")
        lines.append("Shown until resolved: \(inline(conflict.provisional))")
        lines.append("Resolve with: sync-client resolve \(conflict.id) --mine | --theirs | --value VALUE | --file PATH | --edit")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A value as the lines a person edits: prose by line, lists one item per line.
    public static func editableLines(_ value: FieldValue) -> [String] {
        switch value {
        case .null: return []
        case .list(let items): return items
        case .text(let text): return FieldMerge.lines(text)
        default: return [value.summary]
        }
    }
}
