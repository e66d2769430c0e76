import Foundation

/// Help laid out for reading: the examples a command's discussion ends with move after USAGE
/// and the options, under EXAMPLES:, each whole on its line (the parser wraps discussions to the
/// terminal and prints them before USAGE).
package enum HelpLayout {
    /// `help` as a person reads it at `width` columns: the discussion reflowed, then the examples
    /// last (see ``examplesLast(_:)``).
    package static func laidOut(_ help: String, width: Int) -> String {
        examplesLast(reflowed(help, width: width))
    }

    /// The discussion's paragraphs wrapped at `width`. Discussions are written with hard line
    /// breaks at the source's width, and the parser wraps each of those lines on its own, so a
    /// sentence broke mid-line wherever the terminal was wider or narrower. Lines up to USAGE:
    /// that start at the margin are joined into paragraphs (a blank line, an indented line, or a
    /// line starting `Example` ends one) and wrapped again; everything else is kept as it is.
    package static func reflowed(_ help: String, width: Int) -> String {
        let lines = help.components(separatedBy: "\n")
        guard let usage = lines.firstIndex(where: { $0.hasPrefix("USAGE:") }) else { return help }
        var result: [String] = []
        var paragraph: [String] = []
        func flush() {
            guard !paragraph.isEmpty else { return }
            let words = paragraph.joined(separator: " ").split(separator: " ", omittingEmptySubsequences: true)
            var line = ""
            for word in words {
                if !line.isEmpty && line.count + 1 + word.count > max(20, width) {
                    result.append(line)
                    line = String(word)
                } else {
                    line += (line.isEmpty ? "" : " ") + word
                }
            }
            if !line.isEmpty { result.append(line) }
            paragraph = []
        }
        var inExamples = false
        for line in lines[..<usage] {
            if line.hasPrefix("Examples:") || line.hasPrefix("Example:") { inExamples = true }
            if inExamples || line.isEmpty || line.first?.isWhitespace == true {
                flush()
                result.append(line)
            } else {
                paragraph.append(line)
            }
        }
        flush()
        return (result + lines[usage...]).joined(separator: "\n")
    }

    package static func examplesLast(_ help: String) -> String {
        var lines = help.components(separatedBy: "\n")
        guard let usage = lines.firstIndex(where: { $0.hasPrefix("USAGE:") }),
              let start = lines[..<usage].firstIndex(where: { $0.hasPrefix("Examples:") || $0.hasPrefix("Example:") }) else { return help }
        var end = usage
        while end > start, lines[end - 1].isEmpty { end -= 1 }
        var examples: [String] = []
        let first = lines[start]
        if first.hasPrefix("Example: ") { examples.append("  " + first.dropFirst("Example: ".count)) }
        for line in lines[(start + 1)..<end] {
            // A line the parser wrapped continues the example before it.
            if line.hasPrefix("  ") || examples.isEmpty { examples.append(line.hasPrefix("  ") ? line : "  " + line) } else { examples[examples.count - 1] += " " + line }
        }
        lines.removeSubrange(start..<end)
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        return (lines + ["", "EXAMPLES:"] + examples).joined(separator: "\n") + "\n"
    }
}

extension HelpLayout {
    /// The width help is laid out at, as the argument parser picks it: `$COLUMNS`, else the
    /// terminal's, else 80.
    package static func terminalWidth() -> Int {
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        #if os(Linux) || os(macOS)
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        #endif
        return 80
    }
}
