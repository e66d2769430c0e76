package import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Runs the command line as `main` does, with two differences a person notices: a mistyped
    /// command name gets a suggestion, and help lists its examples after the usage.
    package static func runLaidOut(_ arguments: [String], explain: @Sendable (_ error: any Error, _ arguments: [String]) -> String? = { _, _ in nil }) async -> Never {
        if let suggestion = CommandSuggestion.message(for: arguments, root: self) {
            FileHandle.standardError.write(Data("Error: \(suggestion)\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try parseAsRoot(arguments)
            do {
                if var asyncCommand = command as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            } catch let error as ValidationError {
                // Thrown while running, where the parser no longer knows the command: its usage
                // would be the root's, which misleads. The sentence says what to do.
                FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
                Foundation.exit(ExitCode.validationFailure.rawValue)
            }
            Foundation.exit(0)
        } catch {
            if let sentence = explain(error, arguments) {
                FileHandle.standardError.write(Data("Error: \(sentence)\n".utf8))
                Foundation.exit(ExitCode.validationFailure.rawValue)
            }
            if exitCode(for: error) == .success, case let message = fullMessage(for: error), message.contains("USAGE:") {
                let help = HelpLayout.laidOut(message, width: HelpLayout.terminalWidth())
                print(help, terminator: help.hasSuffix("\n") ? "" : "\n")
                Foundation.exit(0)
            }
            exit(withError: error)
        }
    }
}
