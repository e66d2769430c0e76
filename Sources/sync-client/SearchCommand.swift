import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find cells and signals by any field (case-insensitive), offline.",
        discussion: "Examples:\n  sync-client search Hague\n  sync-client search \"air defence\" --json"
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag
    @Argument(help: "The text to find.") var text: String

    struct Match: Encodable {
        var kind: String
        var id: String
        var number: Int64?
        var field: String
        var excerpt: String
    }

    func validate() throws {
        guard !text.allSatisfy(\.isWhitespace) else { throw ValidationError("give some text to search for") }
    }

    func run() throws {
        let replica = try options.open()
        let cells = try CellDirectory(store: replica.store)
        var matches: [Match] = []
        for kind in ["cell", "signal"] {
            let records = cells.shown(try replica.store.records(kind: kind)).sorted {
                ($0.value("number").int ?? .max, $0.id) < ($1.value("number").int ?? .max, $1.id)
            }
            for record in records {
                for field in SchemaRegistry.standard[kind]?.fieldNames ?? [] {
                    let value = TextOutput.editableLines(record.value(field)).joined(separator: " ")
                    guard let range = value.range(of: text, options: [.caseInsensitive, .diacriticInsensitive]) else { continue }
                    matches.append(Match(kind: kind, id: record.id.rawValue, number: kind == "cell" ? record.value("number").int : nil,
                                         field: field, excerpt: Self.excerpt(value, around: range)))
                }
            }
        }
        if output.json { return printJSON(matches) }
        if matches.isEmpty { return print("Nothing matches '\(text)'.") }
        print(TextOutput.table(["RECORD", "FIELD", "MATCH"], matches.map { match in
            [match.number.map { "cell \($0)" } ?? "\(match.kind) \(match.id.prefix(8))", match.field, match.excerpt]
        }))
    }

    /// Up to 30 characters either side of the match, on one line.
    static func excerpt(_ text: String, around range: Range<String.Index>) -> String {
        let start = text.index(range.lowerBound, offsetBy: -30, limitedBy: text.startIndex) ?? text.startIndex
        let end = text.index(range.upperBound, offsetBy: 30, limitedBy: text.endIndex) ?? text.endIndex
        return (start == text.startIndex ? "" : "…") + text[start..<end] + (end == text.endIndex ? "" : "…")
    }
}
