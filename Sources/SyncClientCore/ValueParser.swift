import Foundation
package import SyncModel

/// Turns command-line text into a field value, by the field's schema.
package enum ValueParser {
    /// Parses `text` for `field` of `kind`. Lists take one item per line; cell-number sets also
    /// take commas or spaces (`16, 17, 18`). An empty text clears the field, except a title:
    /// lists show it, so a blank one is refused.
    package static func parse(_ text: String, kind: String, field: String) throws -> FieldValue {
        if field == "title", text.allSatisfy(\.isWhitespace) {
            throw ClientError("a title must not be empty: lists show it; give one with some text, or delete the record")
        }
        guard let schema = SchemaRegistry.standard[kind] else { throw ClientError("unknown record kind '\(kind)'") }
        guard let fieldSchema = schema.fields.first(where: { $0.name == field }) else { throw FieldNames.unknown(field, kind: kind) }
        let value: FieldValue
        switch (fieldSchema.kind, fieldSchema.valueType) {
        case (.set, .cellRefs):
            let items = text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
            value = .list(items)
        case (.list, _), (.set, _):
            value = .list(text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init))
        case (_, .int):
            if text.isEmpty { value = .null; break }
            guard let number = Int64(text.trimmingCharacters(in: .whitespaces)) else {
                throw ClientError("field '\(field)' takes an integer, not '\(text.prefix(40))'")
            }
            value = .int(number)
        case (_, .label(let labels)):
            // Labels are typed in any case (`holding`) and stored as the schema spells them.
            let typed = text.trimmingCharacters(in: .whitespaces)
            value = typed.isEmpty ? .null : .text(labels.first { $0.lowercased() == typed.lowercased() } ?? typed)
        default:
            value = text.isEmpty ? .null : .text(text)
        }
        do {
            return try ValueRules.canonical(value, for: fieldSchema)
        } catch let error as ModelError {
            throw ClientError(error.description)
        }
    }
}
