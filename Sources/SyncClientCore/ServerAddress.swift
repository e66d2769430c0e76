import Foundation

/// A sync server's address as a person types it: an `http://` or `https://` URL naming a host,
/// checked before anything is sent so that a missing scheme gets a sentence, not a URL parser's
/// error.
package enum ServerAddress {
    /// Throws a ``ClientError`` saying how to write `server` when it is not such a URL.
    package static func check(_ server: String) throws {
        let shown = "'\(server.prefix(60))'"
        guard let url = URL(string: server), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
            let example = server.contains("://") ? "http://127.0.0.1:8080" : "http://\(server.prefix(60))"
            throw ClientError("\(shown) is not a server URL: add http:// or https:// in front, like \(example)")
        }
        guard let host = url.host, !host.isEmpty else {
            throw ClientError("\(shown) names no host: give the address sync-server printed, like http://127.0.0.1:8080")
        }
    }
}
