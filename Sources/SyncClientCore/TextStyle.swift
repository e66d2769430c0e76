import Foundation
import SyncModel

/// How human output looks: colour, width and the clock for relative dates. Injected, so tests
/// pin the exact text; ``forTerminal()`` reads the real terminal.
package struct TextStyle: Sendable {
    package var color: Bool
    package var width: Int
    /// Milliseconds since 1970: "now" for relative dates.
    package var now: Int64

    package init(color: Bool, width: Int, now: Int64) {
        self.color = color
        self.width = width
        self.now = now
    }

    /// Colour only on a terminal, never when piped, never with `NO_COLOR` or `TERM=dumb`; the
    /// terminal's width, else `$COLUMNS`, else 80.
    package static func forTerminal(now: Int64) -> TextStyle {
        let environment = ProcessInfo.processInfo.environment
        let terminal = isatty(STDOUT_FILENO) == 1
        let color = terminal && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
        var width = environment["COLUMNS"].flatMap(Int.init) ?? 80
        #if os(Linux) || os(macOS)
        var size = winsize()
        if terminal, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { width = Int(size.ws_col) }
        #endif
        return TextStyle(color: color, width: max(40, min(width, 160)), now: now)
    }

    /// As ``forTerminal(now:)``, but as wide as the lines need when the output is not a terminal
    /// (`dashboard | cat`, a file): a table narrows only to fit a screen.
    package static func forTable(now: Int64) -> TextStyle {
        var style = forTerminal(now: now)
        if isatty(STDOUT_FILENO) != 1 { style.width = .max }
        return style
    }

    func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    package func bold(_ text: String) -> String { paint(text, "1") }
    func dim(_ text: String) -> String { paint(text, "2") }
    func warning(_ text: String) -> String { paint(text, "31") }

    /// A trajectory label in its colour.
    func trajectory(_ label: String) -> String {
        switch label {
        case "Advancing": paint(label, "32")
        case "Holding": paint(label, "33")
        case "Drifting": paint(label, "35")
        case "Reversing": paint(label, "31")
        default: label
        }
    }

    /// `2026-02-18, 3 days ago`; a partial date is measured from its first day.
    package func date(_ text: String) -> String {
        guard let date = PartialDate(text) else { return text }
        var components = DateComponents()
        components.year = date.year
        components.month = date.month ?? 1
        components.day = date.day ?? 1
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let start = calendar.date(from: components) else { return text }
        let days = Int((Double(now) / 1000 - start.timeIntervalSince1970) / 86_400)
        return text + ", " + Self.relative(days: days, precision: date.day != nil ? .day : date.month != nil ? .month : .year)
    }

    /// `2026-11-21 19:35:02 UTC, 5 minutes ago`.
    package func time(_ milliseconds: Int64) -> String {
        let seconds = (now - milliseconds) / 1000
        let ago: String
        switch abs(seconds) {
        case ..<60: ago = "just now"
        case ..<3600: ago = Self.count(Int(abs(seconds) / 60), "minute", future: seconds < 0)
        case ..<86_400: ago = Self.count(Int(abs(seconds) / 3600), "hour", future: seconds < 0)
        default: ago = Self.relative(days: Int(seconds / 86_400), precision: .day)
        }
        return TextOutput.humanTime(milliseconds) + ", " + ago
    }

    enum Precision { case day, month, year }

    static func relative(days: Int, precision: Precision) -> String {
        let future = days < 0, span = abs(days)
        switch precision {
        case .day where span == 0: return "today"
        case .day where span < 45: return count(span, "day", future: future)
        case .year:
            return span < 365 ? "this year" : count(span / 365, "year", future: future)
        default:
            if span < 31 { return "this month" }
            if span < 365 { return count(span / 30, "month", future: future) }
            return count(span / 365, "year", future: future)
        }
    }

    static func count(_ value: Int, _ unit: String, future: Bool) -> String {
        let text = "\(value) \(unit)\(value == 1 ? "" : "s")"
        return future ? "in " + text : text + " ago"
    }

    /// Words of `text` wrapped to the width, each line prefixed by `indent`; blank lines kept.
    package func wrap(_ text: String, indent: String) -> [String] {
        let limit = max(20, width - indent.count)
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                if !line.isEmpty && line.count + 1 + word.count > limit {
                    lines.append(indent + line)
                    line = String(word)
                } else {
                    line += (line.isEmpty ? "" : " ") + word
                }
            }
            lines.append(line.isEmpty ? "" : indent + line)
        }
        return lines
    }
}
