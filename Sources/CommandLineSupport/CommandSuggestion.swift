package import ArgumentParser

/// A suggestion for a mistyped command name (`cel list` → `cell`), which the argument parser
/// does not make.
package enum CommandSuggestion {
    /// The sentence for `arguments` when a command or subcommand name in them is unknown but
    /// close to one (at most two edits away); nil when they name commands, or nothing close.
    package static func message(for arguments: [String], root: any ParsableCommand.Type) -> String? {
        var command: any ParsableCommand.Type = root
        var path = [root.configuration.commandName ?? ""]
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !word.hasPrefix("-"), !subcommands.isEmpty else { return nil }
            if let next = subcommands.first(where: { name(of: $0) == word }) {
                command = next
                path.append(word)
                continue
            }
            // A group with a default subcommand takes other words as that subcommand's arguments.
            guard command.configuration.defaultSubcommand == nil || command == root else { return nil }
            let names = subcommands.map(name(of:)) + ["help"]
            if names.contains(word) { return nil }
            guard let best = names.min(by: { distance(word, $0) < distance(word, $1) }), distance(word, best) <= 2 else { return nil }
            if command == root, command.configuration.defaultSubcommand != nil { return nil }
            return "'\(word)' is not a `\(path.joined(separator: " "))` command. Did you mean '\(best)'? See `\(path.joined(separator: " ")) --help`."
        }
        return nil
    }

    private static func name(of command: any ParsableCommand.Type) -> String {
        command.configuration.commandName ?? String(describing: command).lowercased()
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
