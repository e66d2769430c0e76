package import LocalStore
package import SyncModel
import Foundation

/// The dashboard as Markdown pages: each cell as its dashboard page (title, facts, sections in
/// page order, then its signal backlog newest first), readable anywhere and importable back.
///
/// A signal appears on the page of every exported cell it touches (and once under
/// "Other signals" if it touches none); import reads each id once and refuses copies that differ.
/// Lines of prose that would read as Markdown structure are escaped with a backslash.
package enum MarkdownDashboard {
    /// The first line of a version 1 file; version 2 files start with ``markerPrefix``, then the
    /// state they were exported at (see ``DashboardFile/Contents``): `, state UUID:N,UUID:N -->`.
    package static let marker = "<!-- field-sync dashboard, version 1 -->"
    package static let markerPrefix = "<!-- field-sync dashboard, version 2"

    static let sections: [(field: String, title: String)] = [
        ("problemStatement", "Problem Statement"), ("articulatedGoal", "Articulated Goal"),
        ("commitments", "Commitments"), ("strategicLogic", "Strategic Logic"),
        ("keyIndicators", "Key Indicators"), ("assessment", "Assessment"),
        ("crosswinds", "Crosswinds & Contradictions"), ("sources", "Sources"),
    ]

    // MARK: - Export

    /// The pages for these cells and signals, read at `state`.
    package static func export(cells: [RecordSnapshot], signals: [RecordSnapshot], state: VersionVector? = nil) -> String {
        var lines = [state.map { "\(markerPrefix), state \($0.text) -->" } ?? "\(markerPrefix) -->"]
        let sortedCells = cells.sorted { ($0.value("number").int ?? .max, $0.id) < ($1.value("number").int ?? .max, $1.id) }
        var placed: Set<RecordID> = []
        for cell in sortedCells {
            let number = cell.value("number").int.map(String.init) ?? ""
            lines += ["", "# Cell \(number) — \(escapeInline(cell.text("title") ?? ""))", ""]
            lines.append("- id: \(cell.id)")
            for (field, label) in [("tier", "tier"), ("trajectory", "trajectory"), ("trend", "trend"), ("lastAssessed", "last assessed")] {
                if let text = cell.text(field) { lines.append("- \(label): \(escapeInline(text))") }
            }
            let related = cell.list("relatedCells")
            if !related.isEmpty { lines.append("- related cells: " + related.joined(separator: ", ")) }
            for (field, title) in sections {
                switch cell.value(field) {
                case .text(let text):
                    lines += ["", "## \(title)", ""] + FieldMerge.lines(text).map(escapeProse)
                case .list(let items) where !items.isEmpty:
                    lines += ["", "## \(title)", ""]
                    lines += items.enumerated().map { field == "keyIndicators" ? "\($0.offset + 1). \(escapeInline($0.element))" : "- \(escapeInline($0.element))" }
                default: break
                }
            }
            let backlog = signals.filter { $0.list("cells").contains(number) && !number.isEmpty }
            if !backlog.isEmpty {
                lines += ["", "## Signal Backlog"]
                for signal in backlog { lines += signalLines(signal) }
                placed.formUnion(backlog.map(\.id))
            }
        }
        let others = signals.filter { !placed.contains($0.id) }
        if !others.isEmpty {
            lines += ["", "# Other signals"]
            for signal in others { lines += signalLines(signal) }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func signalLines(_ signal: RecordSnapshot) -> [String] {
        var lines = ["", "### \(signal.text("date") ?? "undated") — \(escapeInline(signal.text("title") ?? ""))", ""]
        lines.append("- id: \(signal.id)")
        if let direction = signal.text("direction") { lines.append("- direction: \(direction)") }
        if let note = signal.text("directionNote") { lines.append("- direction note: \(escapeInline(note))") }
        if let source = signal.text("source") { lines.append("- source: \(escapeInline(source))") }
        let cells = signal.list("cells")
        if !cells.isEmpty { lines.append("- cells: " + cells.joined(separator: ", ")) }
        if let body = signal.text("body") { lines += [""] + FieldMerge.lines(body).map(escapeProse) }
        return lines
    }

    /// One-line values: backslashes and new lines escaped.
    static func escapeInline(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func unescapeInline(_ text: String) -> String {
        var result = ""
        var escaping = false
        for character in text {
            if escaping {
                result.append(character == "n" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// A prose line that starts like structure (`#`, `- `, `<!--`, a backslash) gets a backslash.
    static func escapeProse(_ line: String) -> String {
        line.hasPrefix("#") || line.hasPrefix("- ") || line.hasPrefix("\\") || line.hasPrefix("<!--") ? "\\" + line : line
    }

    // MARK: - Import

    struct Cursor {
        let lines: [Substring]
        var index = 0
        var line: Int { index + 1 }
        var current: Substring? { index < lines.count ? lines[index] : nil }
        mutating func skipBlank() { while let line = current, line.isEmpty { index += 1 } }
    }

    /// Whether `line` is the first line of a Markdown dashboard of any version.
    package static func isMarker(_ line: Substring) -> Bool {
        line == Substring(marker) || line.hasPrefix(markerPrefix)
    }

    /// Reads a Markdown dashboard's records; throws an ``ImportError`` at the first problem.
    package static func parse(_ text: String) throws -> [DashboardFile.ImportedRecord] {
        try read(text).records
    }

    /// Reads a Markdown dashboard; throws an ``ImportError`` at the first problem. A cell new
    /// to the file may leave out its id line: it is given a new id.
    package static func read(_ text: String) throws -> DashboardFile.Contents {
        var cursor = Cursor(lines: text.split(separator: "\n", omittingEmptySubsequences: false))
        cursor.skipBlank()
        var state: VersionVector?
        if let first = cursor.current, first.hasPrefix(markerPrefix), first.hasSuffix("-->") {
            let rest = first.dropFirst(markerPrefix.count).dropLast(3).trimmingCharacters(in: .whitespaces)
            if rest.hasPrefix(", state ") {
                guard let vector = VersionVector(text: String(rest.dropFirst(", state ".count))) else {
                    throw ImportError(line: cursor.line, "the state on the first line is not one export writes (UUID:N,UUID:N)")
                }
                state = vector
            } else if !rest.isEmpty {
                throw ImportError(line: cursor.line, "expected the first line \(markerPrefix) --> or \(markerPrefix), state UUID:N,... -->")
            }
        } else if cursor.current != Substring(marker) {
            throw ImportError(line: cursor.line, "expected the first line \(markerPrefix) -->")
        }
        cursor.index += 1
        var records: [DashboardFile.ImportedRecord] = []
        var signalLines: [RecordID: Int] = [:]
        func addSignal(_ record: DashboardFile.ImportedRecord) throws {
            if let first = signalLines[record.id] {
                guard records.first(where: { $0.id == record.id })?.fields == record.fields else {
                    throw ImportError(line: record.line, "signal \(record.id) differs from its copy at line \(first)")
                }
                return
            }
            signalLines[record.id] = record.line
            records.append(record)
        }
        while true {
            cursor.skipBlank()
            guard let line = cursor.current else { break }
            if line.hasPrefix("# Cell ") {
                let (cell, backlog) = try parseCell(&cursor)
                records.append(cell)
                for signal in backlog { try addSignal(signal) }
            } else if line == "# Other signals" {
                cursor.index += 1
                cursor.skipBlank()
                while let next = cursor.current, next.hasPrefix("### ") {
                    try addSignal(try parseSignal(&cursor))
                    cursor.skipBlank()
                }
            } else {
                throw ImportError(line: cursor.line, "expected '# Cell N — Title' or '# Other signals'")
            }
        }
        return DashboardFile.Contents(records: records, state: state)
    }

    static func parseCell(_ cursor: inout Cursor) throws -> (DashboardFile.ImportedRecord, [DashboardFile.ImportedRecord]) {
        let start = cursor.line
        let heading = cursor.current!.dropFirst("# Cell ".count)
        guard let separator = heading.range(of: " — ") ?? (heading.hasPrefix("— ") ? heading.range(of: "— ") : nil) else {
            throw ImportError(line: start, "expected '# Cell N — Title'")
        }
        var raw: [String: (FieldValue, Int)] = [:]
        let numberText = heading[..<separator.lowerBound]
        if !numberText.isEmpty {
            guard let number = Int64(numberText) else { throw ImportError(line: start, "expected a cell number after '# Cell', not '\(numberText)'") }
            raw["number"] = (.int(number), start)
        }
        raw["title"] = (.text(unescapeInline(String(heading[separator.upperBound...]))), start)
        cursor.index += 1
        let facts = try parseFacts(&cursor, allowed: ["id", "tier", "trajectory", "trend", "last assessed", "related cells"])
        let id: RecordID
        if let idFact = facts["id"] {
            guard let parsed = RecordID(idFact.0) else { throw ImportError(line: idFact.1, "expected '- id: UUID' under the cell heading") }
            id = parsed
        } else {
            id = RecordID.random()
        }
        for (label, field) in [("tier", "tier"), ("trajectory", "trajectory"), ("trend", "trend"), ("last assessed", "lastAssessed")] {
            if let fact = facts[label] { raw[field] = (.text(unescapeInline(fact.0)), fact.1) }
        }
        if let fact = facts["related cells"] { raw["relatedCells"] = (.list(splitNumbers(fact.0)), fact.1) }
        var backlog: [DashboardFile.ImportedRecord] = []
        while true {
            cursor.skipBlank()
            guard let line = cursor.current, line.hasPrefix("## ") else { break }
            let title = String(line.dropFirst(3))
            let headingLine = cursor.line
            cursor.index += 1
            if title == "Signal Backlog" {
                cursor.skipBlank()
                while let next = cursor.current, next.hasPrefix("### ") {
                    backlog.append(try parseSignal(&cursor))
                    cursor.skipBlank()
                }
                continue
            }
            guard let section = sections.first(where: { $0.title == title }) else {
                throw ImportError(line: headingLine, "unknown section '\(title)'; sections are \(sections.map(\.title).joined(separator: ", ")) and Signal Backlog")
            }
            guard raw[section.field] == nil else { throw ImportError(line: headingLine, "the section '\(title)' appears twice") }
            let body = readBody(&cursor)
            switch section.field {
            case "keyIndicators", "commitments", "sources":
                var items: [String] = []
                for (offset, line) in body.enumerated() where !line.isEmpty {
                    let lineNumber = headingLine + 2 + offset
                    if section.field == "keyIndicators" {
                        guard let dot = line.firstIndex(of: "."), Int(line[..<dot]) != nil, line[line.index(after: dot)...].hasPrefix(" ") else {
                            throw ImportError(line: lineNumber, "expected a numbered item like '1. text' in \(title)")
                        }
                        items.append(unescapeInline(String(line[line.index(dot, offsetBy: 2)...])))
                    } else {
                        guard line.hasPrefix("- ") else { throw ImportError(line: lineNumber, "expected an item like '- text' in \(title)") }
                        items.append(unescapeInline(String(line.dropFirst(2))))
                    }
                }
                raw[section.field] = (.list(items), headingLine)
            default:
                raw[section.field] = (.text(body.map(unescapeProse).joined(separator: "\n")), headingLine)
            }
        }
        return (try record(id: id, kind: "cell", line: start, raw: raw), backlog)
    }

    static func parseSignal(_ cursor: inout Cursor) throws -> DashboardFile.ImportedRecord {
        let start = cursor.line
        let heading = cursor.current!.dropFirst(4)
        guard let separator = heading.range(of: " — ") else { throw ImportError(line: start, "expected '### DATE — Title'") }
        var raw: [String: (FieldValue, Int)] = [:]
        let date = String(heading[..<separator.lowerBound])
        if date != "undated" { raw["date"] = (.text(date), start) }
        raw["title"] = (.text(unescapeInline(String(heading[separator.upperBound...]))), start)
        cursor.index += 1
        let facts = try parseFacts(&cursor, allowed: ["id", "direction", "direction note", "source", "cells"])
        guard let idFact = facts["id"], let id = RecordID(idFact.0) else {
            throw ImportError(line: facts["id"]?.1 ?? start, "expected '- id: UUID' under the signal heading")
        }
        if let fact = facts["direction"] { raw["direction"] = (.text(fact.0), fact.1) }
        if let fact = facts["direction note"] { raw["directionNote"] = (.text(unescapeInline(fact.0)), fact.1) }
        if let fact = facts["source"] { raw["source"] = (.text(unescapeInline(fact.0)), fact.1) }
        if let fact = facts["cells"] { raw["cells"] = (.list(splitNumbers(fact.0)), fact.1) }
        cursor.skipBlank()
        if let line = cursor.current, !line.hasPrefix("#") {
            let bodyLine = cursor.line
            raw["body"] = (.text(readBody(&cursor).map(unescapeProse).joined(separator: "\n")), bodyLine)
        }
        return try record(id: id, kind: "signal", line: start, raw: raw)
    }

    /// `- key: value` lines after a heading.
    static func parseFacts(_ cursor: inout Cursor, allowed: [String]) throws -> [String: (String, Int)] {
        cursor.skipBlank()
        var facts: [String: (String, Int)] = [:]
        while let line = cursor.current, line.hasPrefix("- ") {
            guard let colon = line.range(of: ": ") else { throw ImportError(line: cursor.line, "expected '- key: value'") }
            let key = String(line[line.index(line.startIndex, offsetBy: 2)..<colon.lowerBound])
            guard allowed.contains(key) else {
                throw ImportError(line: cursor.line, "unknown fact '\(key)'; expected \(allowed.joined(separator: ", "))")
            }
            guard facts[key] == nil else { throw ImportError(line: cursor.line, "'\(key)' is given twice") }
            facts[key] = (String(line[colon.upperBound...]), cursor.line)
            cursor.index += 1
        }
        return facts
    }

    /// The lines up to the next heading, without the blank lines around them.
    static func readBody(_ cursor: inout Cursor) -> [String] {
        cursor.skipBlank()
        var body: [String] = []
        while let line = cursor.current, !line.hasPrefix("#") {
            body.append(String(line))
            cursor.index += 1
        }
        while body.last?.isEmpty == true { body.removeLast() }
        return body
    }

    static func unescapeProse(_ line: String) -> String { line.hasPrefix("\\") ? String(line.dropFirst()) : line }

    static func splitNumbers(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
    }

    static func record(id: RecordID, kind: String, line: Int, raw: [String: (FieldValue, Int)]) throws -> DashboardFile.ImportedRecord {
        let schema = SchemaRegistry.standard[kind]!
        var fields: [String: FieldValue] = [:]
        for (name, (value, valueLine)) in raw {
            let field = schema.fields.first { $0.name == name }!
            do {
                fields[name] = try ValueRules.canonical(value, for: field)
            } catch let error as ModelError {
                throw ImportError(line: valueLine, error.description)
            }
        }
        return DashboardFile.ImportedRecord(id: id, kind: kind, line: line, fields: fields)
    }
}
