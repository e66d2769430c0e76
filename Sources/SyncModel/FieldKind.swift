/// How a field merges when it has several heads (DESIGN §2.3).
public enum FieldKind: String, Sendable, Codable {
    /// Equal values collapse; different values are a conflict.
    case register
    /// Three-way line merge against the common ancestor.
    case prose
    /// Three-way item merge against the common ancestor.
    case list
    /// Three-way set merge, add-wins; never a conflict.
    case set
}

/// What a field's values look like, checked on every write and every received version.
public enum ValueType: Sendable, Equatable {
    case int
    case text
    /// ISO 8601 partial date: `2026`, `2026-02` or `2026-02-18`.
    case date
    /// One of a fixed set of labels.
    case label([String])
    case bool
    /// Free strings (lists and sets).
    case strings
    /// Cell numbers as decimal strings (sets), sorted numerically.
    case cellRefs
}
