/// Which version wrote each line of a prose or list field, through merges: a line a version
/// kept from what its author had seen is credited to whoever wrote it there; a merged value's
/// lines are credited as they are in the heads they came from. A pure function of the versions.
public enum LineBlame {
    /// Each line (or item) of the field's value now, with the version that wrote it (nil only
    /// where texts too far apart to match left a merged line unaccounted for).
    public static func lines(of versions: [Version], record: RecordID, field: FieldSchema) -> [(line: String, version: Version?)] {
        // Causal order: a version comes after everything it had seen.
        let seen = Dictionary(uniqueKeysWithValues: versions.map { version in
            (version.dot, versions.filter { $0.dot != version.dot && version.supersedes($0) })
        })
        let ordered = versions.sorted { (seen[$0.dot]!.count, $0.dot) < (seen[$1.dot]!.count, $1.dot) }
        var credited: [Dot: [Version?]] = [:]
        for version in ordered {
            let lines = FieldMerge.sequence(version.value, of: field)
            let before = state(of: seen[version.dot]!, record: record, field: field, credited: credited)
            var credit = [Version?](repeating: version, count: lines.count)
            var budget = DiffBudget()
            if let matches = LineMatching.matches(before.lines, lines, budget: &budget) {
                for (index, match) in matches.enumerated() { if let match { credit[match] = before.credit[index] } }
            }
            credited[version.dot] = credit
        }
        let now = state(of: versions, record: record, field: field, credited: credited)
        return Array(zip(now.lines, now.credit))
    }

    /// The value a replica holding exactly `held` shows, with each line's credit.
    private static func state(of held: [Version], record: RecordID, field: FieldSchema, credited: [Dot: [Version?]]) -> (lines: [String], credit: [Version?]) {
        guard let value = FieldAsOf.of(held, record: record, field: field)?.value else { return ([], []) }
        let heads = held.filter { version in !held.contains { $0.dot != version.dot && $0.supersedes(version) } }.sorted { $0.dot < $1.dot }
        let lines = FieldMerge.sequence(value, of: field)
        if heads.count == 1 { return (lines, credited[heads[0].dot] ?? []) }
        var credit = [Version?](repeating: nil, count: lines.count)
        for head in heads {
            var budget = DiffBudget()
            guard let matches = LineMatching.matches(FieldMerge.sequence(head.value, of: field), lines, budget: &budget) else { continue }
            let headCredit = credited[head.dot] ?? []
            for (index, match) in matches.enumerated() where index < headCredit.count {
                if let match, credit[match] == nil { credit[match] = headCredit[index] }
            }
        }
        return (lines, credit)
    }
}
