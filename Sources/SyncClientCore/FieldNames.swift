import SyncModel

/// Field names as people type them: an unknown one is refused with the closest name, since a
/// typo (`trajectroy`) is far more common than a field that does not exist.
package enum FieldNames {
    /// The error for `field`, which a record of `kind` does not have: the closest field name (at
    /// most two edits, or the same letters in another case), then every name.
    package static func unknown(_ field: String, kind: String) -> ClientError {
        let names = SchemaRegistry.standard[kind]?.fieldNames ?? []
        let shown = String(field.prefix(60))
        let list = "its fields are: \(names.joined(separator: ", "))"
        guard let best = suggestion(for: field, among: names) else { return ClientError("a \(kind) has no field '\(shown)'; \(list)") }
        return ClientError("a \(kind) has no field '\(shown)'. Did you mean '\(best)'? (\(list))")
    }

    /// The schema field `field` names, or throws ``unknown(_:kind:)``.
    package static func check(_ field: String, kind: String) throws {
        guard SchemaRegistry.standard[kind]?.field(field) != nil else { throw unknown(field, kind: kind) }
    }

    /// The name in `names` closest to `typed`, when it is close enough to be a typo.
    static func suggestion(for typed: String, among names: [String]) -> String? {
        if let same = names.first(where: { $0.lowercased() == typed.lowercased() }) { return same }
        let scored = names.map { ($0, distance(typed.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2, best.1 < typed.count else { return nil }
        return best.0
    }

    /// Levenshtein distance, with a swap of two neighbouring letters counted as one edit.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1) }
            }
        }
        return table[a.count][b.count]
    }
}
