import Foundation
import ArgumentParser
import CommandLineSupport
@testable import sync_client
import Testing

/// Long help reads as paragraphs at any width: the discussions' source line breaks used to
/// show, breaking sentences mid-line ("gives the same⏎records.").
@Suite struct HelpLayoutTests {
    @Test(arguments: [60, 100, 160])
    func theDiscussionWrapsAsParagraphsAtTheTerminalsWidth(width: Int) {
        let raw = SyncClientCommand.helpMessage(for: ExportCommand.self, columns: width)
        let help = HelpLayout.laidOut(raw, width: width)
        let usage = help.components(separatedBy: "\n").firstIndex { $0.hasPrefix("USAGE:") } ?? 0
        let discussion = help.components(separatedBy: "\n")[..<usage].filter { !$0.isEmpty && !$0.hasPrefix("OVERVIEW:") }
        #expect(discussion.allSatisfy { $0.count <= width }, "\(help)")
        // Every line but a paragraph's last fills the width as far as the next word allows.
        #expect(discussion.joined(separator: " ").contains("export again gives the same records. It carries"), "\(help)")
        for (line, next) in zip(discussion, discussion.dropFirst()) where !next.hasPrefix(" ") && !line.hasSuffix(".") {
            let firstWord = next.split(separator: " ").first.map(String.init) ?? ""
            #expect(line.count + 1 + firstWord.count > width, "'\(line)' could have taken '\(firstWord)' at \(width) columns")
        }
        #expect(help.contains("EXAMPLES:\n  sync-client export --output dashboard.json"))
    }
}
