package import SyncModel

/// What `log` says of a version beside its value: that it settled a conflict, or was written
/// concurrently with another version of its field. From the versions alone.
package struct HistoryNotes: Sendable {
    private var notes: [Dot: String] = [:]

    /// Notes for `versions` (any records and fields), each judged among the others of its field.
    package init(_ versions: [Version]) {
        let fields = Dictionary(grouping: versions) { "\($0.record.rawValue)/\($0.field)" }
        for group in fields.values {
            for version in group {
                // It settled a conflict (or a merge) when it directly follows two or more heads:
                // versions it had seen that no other version it had seen supersedes.
                let seen = group.filter { $0.dot != version.dot && version.supersedes($0) }
                let followed = seen.filter { earlier in !seen.contains { $0.dot != earlier.dot && $0.supersedes(earlier) } }
                if followed.count >= 2 {
                    notes[version.dot] = "resolution"
                } else if group.contains(where: { $0.dot != version.dot && !version.supersedes($0) && !$0.supersedes(version) }) {
                    notes[version.dot] = "concurrent"
                }
            }
        }
    }

    package func note(_ version: Version) -> String? { notes[version.dot] }
}
