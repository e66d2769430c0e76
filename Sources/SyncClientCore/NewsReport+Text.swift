import SyncModel

extension NewsReport {
    /// The heading line: what the report counts from and how much arrived.
    package var heading: String {
        let from: String
        if since.lastLook {
            from = since.moment.map { "Since your last look (\(TextOutput.humanTime($0)))" } ?? "Since this replica began (no look yet)"
        } else {
            from = "Since \(since.point ?? "") (\(since.moment.map(TextOutput.humanTime) ?? ""))"
        }
        guard !isEmpty else { return "\(from): nothing new." }
        let who = authors.isEmpty ? "" : " from \(authors.joined(separator: ", "))"
        return "\(from): \(versions) new version\(versions == 1 ? "" : "s")\(who)"
    }

    /// The report as `sync-client news` prints it: the heading, each cell with its changed
    /// fields and their authors, new and changed signals, new and closed conflicts.
    package var lines: [String] {
        var lines = [heading]
        if !cells.isEmpty {
            lines.append("Cells")
            for cell in cells {
                let number = cell.number.map { "\($0)" } ?? cell.id.prefix(8).description
                lines.append("  \(number)  \(cell.title ?? "(untitled)")\(cell.new ? "  (new)" : "")")
                lines += Self.fieldLines(cell.fields)
            }
        }
        let (added, changed) = (signals.filter(\.new), signals.filter { !$0.new })
        if !added.isEmpty {
            lines.append("New signals")
            for signal in added {
                lines.append("  \(signal.id.prefix(8))  \(signal.date ?? "")  \(signal.title ?? "(untitled)")  by \(Self.people(signal.fields))")
            }
        }
        if !changed.isEmpty {
            lines.append("Signals changed")
            for signal in changed {
                lines.append("  \(signal.id.prefix(8))  \(signal.date ?? "")  \(signal.title ?? "(untitled)")")
                lines += Self.fieldLines(signal.fields)
            }
        }
        if !newConflicts.isEmpty {
            lines.append("New conflicts")
            lines += newConflicts.map { "  \($0.shownRecord) \($0.field): see `sync-client conflicts show \($0.id)`" }
        }
        if !closedConflicts.isEmpty {
            lines.append("Closed conflicts")
            lines += closedConflicts.map { "  \($0.shownRecord) \($0.field) (conflict \($0.id))" }
        }
        return lines
    }

    /// A field as people read it: `deleted` for the record's deletion field.
    package static func fieldName(_ field: String) -> String {
        field == RecordSchema.deletedFieldName ? "deleted or restored" : field
    }

    /// Everyone who wrote any of `fields`.
    package static func people(_ fields: [FieldNews]) -> String {
        Set(fields.flatMap(\.by)).sorted().joined(separator: ", ")
    }

    private static func fieldLines(_ fields: [FieldNews]) -> [String] {
        let width = fields.map { fieldName($0.field).count }.max() ?? 0
        return fields.map { field in
            let name = fieldName(field.field)
            let count = field.versions > 1 ? " (\(field.versions) versions)" : ""
            return "    \(name)\(String(repeating: " ", count: width - name.count))  \(field.by.joined(separator: ", "))\(count)"
        }
    }
}
