/// A version or value that breaks the data model's rules. Each description says what to change.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownKind(String)
    case unknownField(kind: String, field: String)
    case wrongValue(field: String, expected: String, got: String)
    case valueTooLarge(field: String, bytes: Int, limit: Int)
    case invalidText(field: String, reason: String)
    case invalidVersion(String)

    public var description: String {
        switch self {
        case .unknownKind(let kind):
            return "unknown record kind '\(kind.prefix(40))'; known kinds are: \(SchemaRegistry.standard.kinds.joined(separator: ", "))"
        case .unknownField(let kind, let field):
            let names = SchemaRegistry.standard[kind]?.fieldNames.joined(separator: ", ") ?? ""
            return "a \(kind) has no field '\(field.prefix(60))'; its fields are: \(names)"
        case .wrongValue(let field, let expected, let got):
            return "field '\(field)' takes \(expected), not \(got)"
        case .valueTooLarge(let field, let bytes, let limit):
            return "the value of '\(field)' is \(bytes) bytes; the limit is \(limit) bytes"
        case .invalidText(let field, let reason):
            return "the value of '\(field)' \(reason)"
        case .invalidVersion(let reason):
            return "invalid version: \(reason)"
        }
    }
}
