/// A field's value as stored and sent: JSON null, boolean, integer, string or array of strings.
public enum FieldValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case text(String)
    /// Ordered lists and sets (a set is kept sorted and without duplicates).
    case list([String])

    public var text: String? { if case .text(let value) = self { value } else { nil } }
    public var int: Int64? { if case .int(let value) = self { value } else { nil } }
    public var list: [String]? { if case .list(let value) = self { value } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var isNull: Bool { self == .null }

    /// A one-line summary for people (lists show their item count).
    public var summary: String {
        switch self {
        case .null: return "(unset)"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .text(let value):
            let line = value.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            return line.count > 60 ? String(line.prefix(57)) + "..." : line
        case .list(let items): return items.count == 1 ? "1 item" : "\(items.count) items"
        }
    }
}

extension FieldValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(String.self) {
            self = .text(value)
        } else if let value = try? container.decode([String].self) {
            self = .list(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a field value must be null, a boolean, an integer, a string or an array of strings")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        }
    }
}
