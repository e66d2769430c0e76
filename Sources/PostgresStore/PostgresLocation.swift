import Foundation
import PostgresNIO

/// Where a PostgreSQL server store lives: a `postgres://user[:password]@host[:port]/database`
/// URL, with `?sslmode=require` for TLS.
package struct PostgresLocation: Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var requireTLS: Bool

    /// Whether `text` names a PostgreSQL store rather than a SQLite file.
    package static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads a URL; throws a sentence saying what is missing.
    package init(url text: String) throws {
        guard Self.isURL(text), let url = URLComponents(string: text) else {
            throw PostgresStoreError.badURL("'\(Self.redacted(text))' is not a postgres:// URL; write postgres://USER@HOST:PORT/DATABASE")
        }
        guard let host = url.host, !host.isEmpty else {
            throw PostgresStoreError.badURL("the URL names no host; write postgres://USER@HOST:PORT/DATABASE")
        }
        guard let user = url.user, !user.isEmpty else {
            throw PostgresStoreError.badURL("the URL names no user; write postgres://USER@\(host)/DATABASE")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresStoreError.badURL("the URL names no database; write postgres://\(user)@\(host)/DATABASE")
        }
        self.host = host
        self.port = url.port ?? 5432
        self.user = user
        self.password = url.password
        self.database = database
        let sslmode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        guard ["disable", "require"].contains(sslmode) else {
            throw PostgresStoreError.badURL("sslmode '\(sslmode)' is not supported; use sslmode=require or leave it out")
        }
        requireTLS = sslmode == "require"
    }

    /// The URL without its password, for logs and messages.
    package var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// `text` with any password replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let at = text.firstIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at else { return text }
        let credentials = text[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    var configuration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database,
            tls: requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = 16
        return configuration
    }
}
