package import LocalStore

/// What lists of signals show (a backlog, the dashboard's counts, the signal list): every field
/// but the body, which can be megabytes and is shown only on one signal's own page.
package enum SignalSummary {
    /// The fields a list shows.
    package static let fields = ["title", "date", "direction", "directionNote", "source", "cells"]

    /// How much of a body a backlog shows under a signal's title.
    package static let excerptCharacters = 280

    /// The live signals with their summary fields only (see ``Store/records(kind:fields:)``).
    package static func signals(in store: Store) throws -> [RecordSnapshot] {
        try store.records(kind: "signal", fields: fields)
    }

    /// The first ``excerptCharacters`` of `body`, cut at a word and marked as cut; nil when empty.
    package static func excerpt(_ body: String?) -> String? {
        guard let body, !body.isEmpty else { return nil }
        let flat = body.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard flat.count > excerptCharacters else { return flat }
        let cut = flat.prefix(excerptCharacters)
        return (cut.lastIndex(of: " ").map { String(cut[..<$0]) } ?? String(cut)) + " …"
    }
}
