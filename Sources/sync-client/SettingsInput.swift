import ArgumentParser
import Foundation
import SyncClientCore

/// Checks of the settings a person gives `init` and `config set`.
enum SettingsInput {
    static func checkServer(_ server: String) throws {
        do {
            try ServerAddress.check(server)
        } catch let error as ClientError {
            throw ValidationError(error.description)
        }
    }

    /// The analyst a token (NAME.SECRET) names.
    static func analyst(ofToken token: String) throws -> String {
        guard let dot = token.lastIndex(of: "."), token.distance(from: dot, to: token.endIndex) > 16 else { throw notAToken }
        let name = String(token[..<dot])
        let allowed = name.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 95 || $0 == 45 }
        guard (1...32).contains(name.utf8.count), allowed else { throw notAToken }
        return name
    }

    private static let notAToken = ValidationError("--token does not look like a sync token (NAME.SECRET); copy it exactly as `sync-server analyst add` printed it")

    /// A readable CA file's absolute path.
    static func caPath(_ file: String) throws -> String {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw ValidationError("cannot read the CA file \(file); pass the path of a PEM certificate file")
        }
        return URL(fileURLWithPath: file).standardizedFileURL.path
    }
}
