/// A field's value as computed from its heads: merged, or provisional while a conflict is open.
public struct MergedField: Sendable, Hashable {
    /// The merged value; while `conflict` is set, the provisional value every replica shows.
    public var value: FieldValue
    public var conflict: ConflictID?

    public init(value: FieldValue, conflict: ConflictID?) {
        self.value = value
        self.conflict = conflict
    }
}

/// Merges a field's heads by field kind (DESIGN §2.3). A pure function of the versions, so every
/// replica and the server compute the same value.
public enum FieldMerge {
    /// Merges `heads` (any order) of `field` of `record`; `base` is their common ancestor, if any.
    public static func merge(record: RecordID, field: FieldSchema, heads: [Version], base: Version?) -> MergedField {
        let heads = heads.sorted { $0.dot < $1.dot }
        guard let first = heads.first else { return MergedField(value: field.emptyValue, conflict: nil) }
        if heads.allSatisfy({ $0.value == first.value }) {
            return MergedField(value: first.value, conflict: nil)
        }
        let merged: FieldValue?
        switch field.kind {
        case .register:
            merged = nil
        case .set:
            merged = .list(mergeSets(base: base?.value.list ?? [], heads: heads.map { $0.value.list ?? [] }, type: field.valueType))
        case .list, .prose:
            var budget = DiffBudget()
            // `heads` are already in dot order, as mergeLines would put them.
            if case .merged(let lines) = mergeSequences(base: sequence(base?.value, of: field), heads: heads.map { sequence($0.value, of: field) }, budget: &budget) {
                merged = field.kind == .list ? .list(lines) : .text(lines.joined(separator: "\n"))
            } else {
                merged = nil
            }
        }
        if let merged { return MergedField(value: merged, conflict: nil) }
        return MergedField(
            value: provisional(heads).value,
            conflict: ConflictID(record: record, field: field.name, heads: heads.map(\.dot))
        )
    }

    /// Whether merging these heads needs their common ancestor.
    public static func needsBase(_ field: FieldSchema, heads: [Version]) -> Bool {
        field.kind != .register && heads.count > 1 && Set(heads.map(\.value)).count > 1
    }

    /// The head shown while a conflict is open: the latest by wall clock, ties broken by dot.
    /// Every replica picks the same one; it decides nothing about what is kept.
    public static func provisional(_ heads: [Version]) -> Version {
        heads.max { ($0.time, $0.dot) < ($1.time, $1.dot) }!
    }

    /// Among versions all covered by the heads' common context, the greatest one: the one no
    /// other candidate supersedes (the highest dot if several remain, so the choice is stable).
    public static func greatestAncestor(_ candidates: [Version]) -> Version? {
        let maximal = candidates.filter { candidate in
            !candidates.contains { $0.dot != candidate.dot && $0.supersedes(candidate) }
        }
        return maximal.max { $0.dot < $1.dot }
    }

    /// Three-way set merge: what any head removed from the base is gone, what any head added is in.
    public static func mergeSets(base: [String], heads: [[String]], type: ValueType) -> [String] {
        let baseSet = Set(base)
        var result = baseSet
        for head in heads {
            let headSet = Set(head)
            result.subtract(baseSet.subtracting(headSet))
        }
        for head in heads {
            result.formUnion(Set(head).subtracting(baseSet))
        }
        return ValueRules.canonicalSet(result, type: type)
    }

    /// How the line-by-line merge of a prose or list field's heads ends (nil for other kinds):
    /// diff3 folded over the heads in dot order, every step spending from one `budget`, so a
    /// field with many heads is bounded as one with two. `conflicts show` asks this to tell an
    /// overlap from texts too far apart to merge.
    public static func mergeLines(field: FieldSchema, heads: [Version], base: Version?, budget: inout DiffBudget) -> Diff3.Outcome<String>? {
        guard field.kind == .list || field.kind == .prose else { return nil }
        let sorted = heads.sorted { $0.dot < $1.dot }
        return mergeSequences(base: sequence(base?.value, of: field), heads: sorted.map { sequence($0.value, of: field) }, budget: &budget)
    }

    /// A list's items, or prose's lines.
    static func sequence(_ value: FieldValue?, of field: FieldSchema) -> [String] {
        field.kind == .list ? value?.list ?? [] : lines(value?.text)
    }

    /// Folds diff3 over the heads in the order given.
    static func mergeSequences(base: [String], heads: [[String]], budget: inout DiffBudget) -> Diff3.Outcome<String> {
        guard var merged = heads.first else { return .merged(base) }
        for head in heads.dropFirst() {
            let next = Diff3.merge(base: base, ours: merged, theirs: head, budget: &budget)
            guard case .merged(let lines) = next else { return next }
            merged = lines
        }
        return .merged(merged)
    }

    /// Prose is merged line by line (a paragraph is a line, separated by blank lines). Lines end
    /// at each line feed byte, as for diff and git: a carriage return before it stays on its line.
    /// (Splitting by Character would keep "\r\n" whole, one grapheme, and walk grapheme
    /// boundaries: several times slower on the largest values.)
    public static func lines(_ text: String?) -> [String] {
        guard var text, !text.isEmpty else { return [] }
        // Found in the contiguous bytes: the generic split over a UTF-8 view took most of the
        // time of merging a 1 MiB field of 200,000 lines.
        return text.withUTF8 { bytes in
            var lines: [String] = []
            var start = 0
            for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
                lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                start = index + 1
            }
            lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
            return lines
        }
    }
}
