/// An analyst known to the server.
public struct Analyst: Sendable, Equatable {
    public var name: String
    /// Milliseconds since 1970.
    public var created: Int64
    /// When their token was revoked, if it is.
    public var revoked: Int64?

    public init(name: String, created: Int64, revoked: Int64?) {
        self.name = name
        self.created = created
        self.revoked = revoked
    }
}

/// Why an administrative change to the server's analysts was refused; nothing changed.
public enum AnalystError: Error, Equatable, Sendable, CustomStringConvertible {
    case exists(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .exists(let name):
            return "an analyst named '\(name)' already exists; choose another name or revoke the old one"
        case .notFound(let name):
            return "no analyst named '\(name)'; list them with `sync-server analyst list`"
        }
    }
}
