import Foundation

/// Help laid out for reading: the examples a command's discussion ends with move after USAGE
/// and the options, under EXAMPLES:, each whole on its line (the parser wraps discussions to the
/// terminal and prints them before USAGE).
public enum HelpLayout {
    public static func examplesLast(_ help: String) -> String {
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
