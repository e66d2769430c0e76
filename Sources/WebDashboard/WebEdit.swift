import Hummingbird
import LocalStore
import SyncClientCore
import SyncModel

/// A posted edit form, saved as `cell set` and `signal set` save: clearing a field that holds
/// a value asks for a confirmation first, and a form filled from a state the field has left
/// since is written as an edit of that state (merged, or a conflict), and the page says which.
struct WebEdit {
    let replica: Replica
    let pages: WebPages

    /// Saves `form` for the record `editing` names and shows `template`'s page with what came of
    /// it, or the form again with the refusal (400, nothing written).
    func save(_ form: [String: String], editing: WebPages.Editing, template: String,
              _ content: () throws -> (title: String, context: [String: Any])) throws -> Response {
        let field = form["field"] ?? "", text = form["value"] ?? ""
        let record: RecordSnapshot
        do { record = try pages.record(editing) } catch { return try WebServer.notFound(pages, error) }
        if text.allSatisfy(\.isWhitespace), form["clear"] != "yes", field != "title", !record.value(field).isEmptyValue {
            return try WebServer.page(pages, template: "edit", refused: "Saving an empty \(field) clears it. Tick “Yes, clear” and save again, or cancel; nothing was changed.",
                                      status: .badRequest) { try pages.edit(editing, field: field, typed: "", seen: form["seen"], confirmClear: true) }
        }
        do {
            guard let seenText = form["seen"] else {
                let lines = try RecordEditor.set(replica, record, field: field, text: text)
                return try WebServer.page(pages, template: template, said: lines.isEmpty ? "Saved \(field)." : lines.joined(separator: " "), content)
            }
            guard let seen = VersionVector(text: seenText) else {
                throw ClientError("this form's record of what it showed is damaged; open the edit page again")
            }
            switch try RecordEditor.set(replica, record, field: field, text: text, seen: seen) {
            case .saved(let lines):
                return try WebServer.page(pages, template: template, said: lines.isEmpty ? "Saved \(field)." : lines.joined(separator: " "), content)
            case .merged(let notes):
                let said = (["Saved \(field), merged with a change made to it since you opened the form (a colleague's version arrived): the page shows the result."] + notes)
                return try WebServer.page(pages, template: template, said: said.joined(separator: " "), content)
            case .conflict(let id, let notes):
                let said = (["Saved \(field), but it had changed since you opened the form and the two edits conflict; both are kept until one is chosen."] + notes)
                return try WebServer.page(pages, template: template, said: said.joined(separator: " "),
                                          links: [["href": "/conflicts/\(id)", "text": "Resolve conflict \(id)"]], content)
            }
        } catch {
            return try WebServer.page(pages, template: "edit", refused: "\(error)", status: .badRequest) {
                try pages.edit(editing, field: field, typed: text, seen: form["seen"])
            }
        }
    }
}

extension FieldValue {
    /// Null, an empty text or an empty list: what a form shows as an empty box.
    var isEmptyValue: Bool {
        switch self {
        case .null: true
        case .text(let text): text.isEmpty
        case .list(let items): items.isEmpty
        default: false
        }
    }
}
