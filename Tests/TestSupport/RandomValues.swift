public import SyncModel

/// Random values for a field, shaped like an analyst's edits: prose and lists are edited line by
/// line from their current value, so concurrent edits sometimes overlap and sometimes do not.
public enum RandomValues {
    static let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]

    public static func value(for field: FieldSchema, current: FieldValue?, using random: inout SplitMix64) -> FieldValue {
        switch (field.kind, field.valueType) {
        case (_, .int): return .int(Int64.random(in: 1...5, using: &random))
        case (_, .bool): return .bool(Bool.random(using: &random))
        case (_, .date): return .text("2026-0\(Int.random(in: 1...9, using: &random))")
        case (_, .label(let labels)): return .text(labels[Int.random(in: 0..<labels.count, using: &random)])
        case (.set, let type):
            var items = Set(current?.list ?? [])
            for _ in 0..<Int.random(in: 1...2, using: &random) {
                let item = type == .cellRefs ? String(Int.random(in: 1...9, using: &random)) : words[Int.random(in: 0..<words.count, using: &random)]
                if items.contains(item) { items.remove(item) } else { items.insert(item) }
            }
            return .list(ValueRules.canonicalSet(items, type: type))
        case (.list, _), (.prose, _):
            var lines = current?.list ?? current?.text.map { FieldMerge.lines($0) } ?? ["one", "", "two", "", "three", "", "four"]
            let word = words[Int.random(in: 0..<words.count, using: &random)] + String(Int.random(in: 0..<1000, using: &random))
            let position = Int.random(in: 0...lines.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0 where position < lines.count: lines[position] = word
            case 1 where position < lines.count && lines.count > 2: lines.remove(at: position)
            default: lines.insert(word, at: position)
            }
            return field.kind == .list ? .list(lines) : .text(lines.joined(separator: "\n"))
        default:
            return .text(words[Int.random(in: 0..<words.count, using: &random)])
        }
    }
}
