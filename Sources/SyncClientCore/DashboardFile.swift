import Foundation
package import LocalStore
package import SyncModel

/// The dashboard as a JSON file: `export` writes it, `import` reads it back, losslessly.
///
/// `{"format": "field-sync-dashboard", "version": 2, "state": {replica: counter}, "cells": [record],
/// "signals": [record]}` where a record is `{"id": UUID, "fields": {every schema field}}`. Keys are
/// sorted and records are in dashboard order, so the same state always exports to the same bytes.
/// `state` is the version vector the records were read at (see ``Contents``); version 1 files,
/// without it, are still read.
package enum DashboardFile {
    package static let format = "field-sync-dashboard"
    package static let version = 2

    struct Document: Encodable {
        var format: String
        var version: Int
        var state: VersionVector?
        var cells: [Entry]
        var signals: [Entry]
    }

    /// What a dashboard file holds: its records, and the causal state they were exported at,
    /// if the file says (a hand-written or version 1 file does not).
    package struct Contents: Sendable, Equatable {
        package var records: [ImportedRecord]
        package var state: VersionVector?

        package init(records: [ImportedRecord], state: VersionVector?) {
            self.records = records
            self.state = state
        }
    }

    struct Entry: Encodable {
        var id: String
        var fields: [String: FieldValue]
    }

    /// A record read from a file, with the lines it came from.
    package struct ImportedRecord: Sendable, Equatable {
        package var id: RecordID
        package var kind: String
        package var line: Int
        package var fields: [String: FieldValue]
    }

    /// The file for these cells and signals (live ones, in dashboard order), read at `state`.
    package static func export(cells: [RecordSnapshot], signals: [RecordSnapshot], state: VersionVector? = nil) -> String {
        func entry(_ record: RecordSnapshot) -> Entry {
            let names = SchemaRegistry.standard[record.kind]?.fieldNames ?? []
            return Entry(id: record.id.rawValue, fields: Dictionary(uniqueKeysWithValues: names.map { ($0, record.value($0)) }))
        }
        let sortedCells = cells.sorted { ($0.value("number").int ?? .max, $0.id) < ($1.value("number").int ?? .max, $1.id) }
        return OutputJSON.text(Document(format: format, version: version, state: state, cells: sortedCells.map(entry), signals: signals.map(entry)))
    }

    /// Reads and checks a whole file's records; throws an ``ImportError`` at the first problem.
    package static func parse(_ text: String) throws -> [ImportedRecord] {
        try read(text).records
    }

    /// Reads and checks a whole file; throws an ``ImportError`` at the first problem.
    package static func read(_ text: String) throws -> Contents {
        let root = try LineJSON.parse(text)
        guard case .object(let members) = root.value else { throw ImportError(line: root.line, "expected an object with \"format\", \"version\", \"cells\" and \"signals\"") }
        var records: [ImportedRecord] = []
        var sawFormat = false, sawVersion = false
        var state: VersionVector?
        for (key, node) in members {
            switch key {
            case "format":
                guard node.value == .string(format) else { throw ImportError(line: node.line, "expected \"format\": \"\(format)\"") }
                sawFormat = true
            case "version":
                guard case .integer(let number) = node.value, (1...Int64(version)).contains(number) else {
                    throw ImportError(line: node.line, "expected \"version\": 1 or \(version); this tool reads files up to version \(version)")
                }
                sawVersion = true
            case "state":
                state = try vector(node)
            case "cells", "signals":
                guard case .array(let items) = node.value else { throw ImportError(line: node.line, "expected \"\(key)\" to be an array of records") }
                for item in items { records.append(try record(item, kind: key == "cells" ? "cell" : "signal")) }
            default:
                throw ImportError(line: node.line, "unexpected key \"\(key)\"; expected format, version, state, cells and signals")
            }
        }
        guard sawFormat else { throw ImportError(line: root.line, "expected \"format\": \"\(format)\" at the top level") }
        guard sawVersion else { throw ImportError(line: root.line, "expected \"version\": \(version) at the top level") }
        var seen: [RecordID: Int] = [:]
        var numbers: [Int64: Int] = [:]
        for record in records {
            if let first = seen[record.id] { throw ImportError(line: record.line, "record \(record.id) already appears at line \(first)") }
            seen[record.id] = record.line
            // Cells sharing a number are a conflict an export may carry at its state; a file
            // without one would make that conflict, and is refused instead.
            if state == nil, record.kind == "cell", let number = record.fields["number"]?.int {
                if let first = numbers[number] { throw ImportError(line: record.line, "cell number \(number) already appears at line \(first)") }
                numbers[number] = record.line
            }
        }
        return Contents(records: records, state: state)
    }

    /// `{"replica id": counter, ...}`.
    static func vector(_ node: LineJSON.Node) throws -> VersionVector {
        guard case .object(let members) = node.value else {
            throw ImportError(line: node.line, "expected \"state\" to be an object of replica ids and counters, as export writes it")
        }
        var entries: [VersionVector.Entry] = []
        for (key, member) in members {
            guard let replica = ReplicaID(key), case .integer(let counter) = member.value, counter > 0 else {
                throw ImportError(line: member.line, "expected \"state\" to map replica ids to positive counters, as export writes it")
            }
            entries.append(VersionVector.Entry(replica: replica, counter: UInt64(counter)))
        }
        guard let vector = VersionVector(distinct: entries) else { throw ImportError(line: node.line, "\"state\" names a replica twice") }
        return vector
    }

    static func record(_ node: LineJSON.Node, kind: String) throws -> ImportedRecord {
        guard case .object(let members) = node.value else { throw ImportError(line: node.line, "expected a \(kind) object with \"id\" and \"fields\"") }
        var id: RecordID?
        var fields: [String: FieldValue] = [:]
        let schema = SchemaRegistry.standard[kind]!
        for (key, member) in members {
            switch key {
            case "id":
                guard case .string(let text) = member.value, let parsed = RecordID(text) else {
                    throw ImportError(line: member.line, "expected \"id\" to be a UUID string")
                }
                id = parsed
            case "fields":
                guard case .object(let values) = member.value else { throw ImportError(line: member.line, "expected \"fields\" to be an object") }
                for (name, valueNode) in values {
                    guard let field = schema.fields.first(where: { $0.name == name }) else {
                        throw ImportError(line: valueNode.line, "a \(kind) has no field \"\(name)\"; its fields are: \(schema.fieldNames.joined(separator: ", "))")
                    }
                    fields[name] = try value(valueNode, for: field)
                }
            default:
                throw ImportError(line: member.line, "unexpected key \"\(key)\" in a \(kind); expected id and fields")
            }
        }
        guard let id else { throw ImportError(line: node.line, "this \(kind) has no \"id\"") }
        return ImportedRecord(id: id, kind: kind, line: node.line, fields: fields)
    }

    static func value(_ node: LineJSON.Node, for field: FieldSchema) throws -> FieldValue {
        let raw: FieldValue
        switch node.value {
        case .null: raw = .null
        case .bool(let flag): raw = .bool(flag)
        case .integer(let number): raw = .int(number)
        case .string(let text): raw = .text(text)
        case .array(let items):
            raw = .list(try items.map { item in
                guard case .string(let text) = item.value else {
                    throw ImportError(line: item.line, "expected \"\(field.name)\" to hold strings, not \(item.value.kindName)")
                }
                return text
            })
        default:
            throw ImportError(line: node.line, "\"\(field.name)\" takes \(ValueRules.describe(field)), not \(node.value.kindName)")
        }
        do {
            return try ValueRules.canonical(raw, for: field)
        } catch let error as ModelError {
            throw ImportError(line: node.line, error.description)
        }
    }

    /// The writes that make `store` hold the file's records: only fields whose value differs,
    /// so importing a replica's own export writes nothing (and resolves no conflict by accident).
    package static func changes(for records: [ImportedRecord], in store: Store) throws -> [FieldChange] {
        let cells = try directory(for: records, in: store)
        let records = stored(records, cells)
        var changes: [FieldChange] = []
        let liveNumbers = Dictionary(try store.cellNumbers().filter { !$0.deleted }.map { ($0.number, $0.id) },
                                     uniquingKeysWith: { first, _ in first })
        for record in records {
            let current = try store.record(record.id)
            if let current {
                guard current.kind == record.kind else {
                    throw ImportError(line: record.line, "record \(record.id) is a \(current.kind) in this replica, not a \(record.kind)")
                }
                guard !current.deleted else { throw ImportError(line: record.line, "record \(record.id) is deleted in this replica") }
            }
            if record.kind == "cell", let number = record.fields["number"]?.int, let owner = liveNumbers[number], owner != record.id {
                throw ImportError(line: record.line, "cell number \(number) belongs to another cell (\(owner.short)) in this replica")
            }
            let schema = SchemaRegistry.standard[record.kind]!
            for field in schema.fields {
                guard let value = record.fields[field.name] else { continue }
                let existing = cells.stored(current?.value(field.name) ?? field.emptyValue, field: field)
                if existing != value && !(current == nil && value == field.emptyValue) {
                    changes.append(FieldChange(record: record.id, kind: record.kind, field: field.name, value: value))
                }
            }
        }
        return changes
    }

    /// The cells a file's references name: the file's own cells by their numbers in it, then
    /// the replica's.
    static func directory(for records: [ImportedRecord], in store: Store) throws -> CellDirectory {
        try CellDirectory(store: store).overridden(by: records.compactMap { record in
            record.kind == "cell" ? record.fields["number"]?.int.map { (record.id, $0) } : nil
        })
    }

    /// `records` with their cell references as stored (ids where a number names one cell).
    static func stored(_ records: [ImportedRecord], _ cells: CellDirectory) -> [ImportedRecord] {
        records.map { record in
            var copy = record
            let schema = SchemaRegistry.standard[record.kind]
            for (name, value) in record.fields { copy.fields[name] = cells.stored(value, field: schema?.field(name)) }
            return copy
        }
    }
}
