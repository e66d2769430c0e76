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
    /// Only the body's head is read (a few times the excerpt's length, as line breaks collapse),
    /// so a 100 KB body costs what a short one does.
    package static func excerpt(_ body: String?) -> String? {
        let text = (body ?? "").drop { $0.isWhitespace }
        guard !text.isEmpty else { return nil }
        let head = text.prefix(4 * excerptCharacters)
        let flat = head.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard head.endIndex < text.endIndex || flat.count > excerptCharacters else { return flat }
        let cut = flat.prefix(excerptCharacters)
        return (cut.lastIndex(of: " ").map { String(cut[..<$0]) } ?? String(cut)) + " …"
    }
}
