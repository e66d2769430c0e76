/// Checks values against their field schema and puts sets in canonical order.
public enum ValueRules {
    /// Largest value accepted, in UTF-8 bytes (a long assessment is well under 64 KiB).
    public static let defaultMaxValueBytes = 1 << 20
    /// Longest author name and record kind accepted.
    public static let maxNameBytes = 64
    /// Most entries a version's context may carry.
    public static let maxContextEntries = 10_000

    /// Returns `value` in canonical form for `field`, or throws why it does not fit.
    public static func canonical(_ value: FieldValue, for field: FieldSchema, maxBytes: Int = defaultMaxValueBytes) throws -> FieldValue {
        let expected = describe(field)
        func wrong() -> ModelError { .wrongValue(field: field.name, expected: expected, got: kindName(value)) }
        switch field.kind {
        case .register, .prose:
            if value == .null { return .null }
            switch (field.valueType, value) {
            case (.int, .int), (.bool, .bool):
                return value
            case (.text, .text(let text)):
                try checkText(text, field: field.name, maxBytes: maxBytes)
                return value
            case (.date, .text(let text)):
                guard PartialDate(text) != nil else {
                    throw ModelError.invalidText(field: field.name, reason: "'\(text.prefix(40))' is not a date like 2026, 2026-02 or 2026-02-18")
                }
                return value
            case (.label(let labels), .text(let text)):
                guard labels.contains(text) else {
                    throw ModelError.invalidText(field: field.name, reason: "'\(text.prefix(40))' is not one of \(labels.joined(separator: ", "))")
                }
                return value
            default:
                throw wrong()
            }
        case .list, .set:
            guard case .list(let items) = value else {
                if value == .null { return .list([]) }
                throw wrong()
            }
            var bytes = 0
            for item in items {
                try checkText(item, field: field.name, maxBytes: maxBytes)
                bytes += item.utf8.count
            }
            if bytes > maxBytes { throw ModelError.valueTooLarge(field: field.name, bytes: bytes, limit: maxBytes) }
            if field.valueType == .cellRefs {
                for item in items where !CellRef.isValid(item) {
                    throw ModelError.invalidText(field: field.name, reason: "has '\(item.prefix(40))', which is not a cell number")
                }
            }
            return field.kind == .set ? .list(canonicalSet(items, type: field.valueType)) : value
        }
    }

    /// Sorted, without duplicates; cell numbers sort numerically.
    public static func canonicalSet(_ items: some Sequence<String>, type: ValueType) -> [String] {
        let unique = Set(items)
        if type == .cellRefs {
            return unique.sorted { (CellRef.number($0) ?? 0, $0) < (CellRef.number($1) ?? 0, $1) }
        }
        return unique.sorted()
    }

    static func checkText(_ text: String, field: String, maxBytes: Int) throws {
        let bytes = text.utf8.count
        if bytes > maxBytes { throw ModelError.valueTooLarge(field: field, bytes: bytes, limit: maxBytes) }
        if text.unicodeScalars.contains(where: { $0.value == 0 }) {
            throw ModelError.invalidText(field: field, reason: "contains a NUL character")
        }
    }

    public static func describe(_ field: FieldSchema) -> String {
        switch (field.kind, field.valueType) {
        case (.list, _): return "a list of strings"
        case (.set, .cellRefs): return "a set of cell numbers"
        case (.set, _): return "a set of strings"
        case (_, .int): return "an integer"
        case (_, .bool): return "true or false"
        case (_, .date): return "a date (2026, 2026-02 or 2026-02-18)"
        case (_, .label(let labels)): return "one of \(labels.joined(separator: ", "))"
        default: return "text"
        }
    }

    static func kindName(_ value: FieldValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .text: "text"
        case .list: "a list"
        }
    }
}

/// A cell reference is the cell's id (as written since ids are stored, so that it follows its
/// cell through a renumbering) or a cell number in decimal (older data, and a cell not held
/// where the reference was written).
public enum CellRef {
    /// Whether `text` is a cell id or a cell number.
    public static func isValid(_ text: String) -> Bool {
        number(text) != nil || RecordID(text) != nil
    }

    /// The number `text` writes, if it is a number.
    public static func number(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text)
    }
}
