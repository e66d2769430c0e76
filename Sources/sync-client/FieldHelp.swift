import ArgumentParser
import Foundation
import SyncModel

/// Help text about fields, made from the schemas so it never drifts from them.
enum FieldHelp {
    /// `Fields:` and one line per field of `schema`, with the kind of value it takes.
    static func fields(of schema: RecordSchema) -> String {
        let width = schema.fields.map(\.name.count).max() ?? 0
        return (["Fields:"] + schema.fields.map { field in
            let kind: String
            switch field.kind {
            case .prose: kind = "prose: paragraphs, separated by blank lines"
            case .list: kind = "a list, one item per line"
            default: kind = ValueRules.describe(field)
            }
            return "  " + field.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + kind
        }).joined(separator: "\n")
    }

    /// `set` takes its value as an argument or from --file, exactly one of them.
    static func requireOneValue(_ value: String?, _ file: String?) throws {
        switch (value, file) {
        case (nil, nil): throw ValidationError("give the new VALUE after the field name, or --file PATH (an empty \"\" clears the field)")
        case (.some, .some): throw ValidationError("give either VALUE or --file, not both")
        default: break
        }
    }
}
