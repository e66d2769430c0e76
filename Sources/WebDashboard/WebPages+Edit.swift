import LocalStore
import SyncClientCore
import SyncModel

/// The form that edits one field, as the analyst reads it: prefilled with the current value,
/// labels as a select, lists one item per line, related cells by number, and the state of the
/// field it was filled from, so that a save after a colleague's change merges with it or
/// raises a conflict instead of overwriting it (see ``RecordEditor/set(_:_:field:text:seen:)``).
extension WebPages {
    /// Which record an edit form is for: a cell (by number or id) or a signal (by id).
    enum Editing {
        case cell(String), signal(String)

        var path: String {
            switch self {
            case .cell: "cells"
            case .signal: "signals"
            }
        }
    }

    /// The record `editing` names, as stored.
    func record(_ editing: Editing) throws -> RecordSnapshot {
        switch editing {
        case .cell(let reference): try RecordLookup(store: replica.store).cell(reference)
        case .signal(let reference): try RecordLookup(store: replica.store).signal(reference)
        }
    }

    /// The edit page of `field`: prefilled with the current value, or with `typed` (a refused
    /// form shown again keeps what was typed); `seen` is the state the first form was filled
    /// from, kept across a refusal so that a later save still knows what the analyst saw.
    func edit(_ editing: Editing, field: String, typed: String? = nil, seen: String? = nil, confirmClear: Bool = false) throws -> (title: String, context: [String: Any]) {
        let stored = try record(editing)
        let shown = try CellDirectory(store: replica.store).shown(stored)
        let schema = replica.store.schemas[stored.kind] ?? (stored.kind == "cell" ? RecordSchema.cell : RecordSchema.signal)
        guard let fieldSchema = schema.field(field) else { throw FieldNames.unknown(field, kind: stored.kind) }
        let current = Self.formText(shown.value(field), field: fieldSchema)
        let value = typed ?? current
        let name = WebPage.label(field)
        let owner = stored.kind == "cell" ? "cell \(shown.value("number").int.map(String.init) ?? stored.id.short)" : "signal \(stored.id.short)"
        let state = try seen ?? RecordEditor.seenState(replica.store, record: stored.id, field: field).text
        var context: [String: Any] = [
            "path": editing.path, "id": stored.id.rawValue, "field": field, "name": name, "owner": owner, "csrf": guardian.csrf,
            "seen": state,
            "value": value, "confirmClear": confirmClear, "current": current,
        ]
        if let conflict = shown.fields[field]?.conflict { context["conflict"] = conflict.description }
        switch (fieldSchema.kind, fieldSchema.valueType) {
        case (_, .label(let labels)):
            context["hasSelect"] = true
            context["options"] = [["label": "", "shown": "(none)", "selected": value.isEmpty] as [String: Any]]
                + labels.map { ["label": $0, "shown": $0, "selected": $0 == value] as [String: Any] }
        case (.prose, _):
            context["hasTextarea"] = true
            context["rows"] = 16
            context["hint"] = "Paragraphs separated by a blank line."
        case (.list, _), (.set, .strings):
            context["hasTextarea"] = true
            context["rows"] = max(6, value.split(separator: "\n").count + 2)
            context["hint"] = "One item per line."
        case (.set, .cellRefs):
            context["hasInput"] = true
            context["size"] = 40
            context["hint"] = "Cell numbers, separated by commas (16, 17)."
        case (_, .date):
            context["hasInput"] = true
            context["size"] = 12
            context["hint"] = "2026, 2026-02 or 2026-02-18."
        default:
            context["hasInput"] = true
            context["size"] = field == "title" ? 80 : 40
        }
        return ("Edit \(name) of \(owner)", context)
    }

    /// A value as the form shows it: lists one item per line, related cells by number.
    static func formText(_ value: FieldValue, field: FieldSchema) -> String {
        switch value {
        case .null: return ""
        case .list(let items): return items.joined(separator: field.valueType == .cellRefs ? ", " : "\n")
        case .text(let text): return text
        case .int(let number): return String(number)
        default: return value.summary
        }
    }
}
