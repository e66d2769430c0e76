public import LocalStore

/// Where the server URL, token and trusted CA file come from: a flag, then the environment, then
/// the replica.
public struct EffectiveSettings: Sendable, Equatable {
    public enum Source: String, Sendable, Encodable {
        case flag, environment, replica, none
    }

    public var server: String
    public var serverSource: Source
    public var token: String
    public var tokenSource: Source
    public var caFile: String
    public var caFileSource: Source

    public init(saved: ReplicaSettings, server flag: String?, token tokenFlag: String?, caFile caFlag: String? = nil, environment: [String: String]) {
        (server, serverSource) = Self.pick(flag, environment["SYNC_SERVER"], saved.server)
        (token, tokenSource) = Self.pick(tokenFlag, environment["SYNC_TOKEN"], saved.token)
        (caFile, caFileSource) = Self.pick(caFlag, environment["SYNC_CA_FILE"], saved.caFile)
    }

    static func pick(_ flag: String?, _ environment: String?, _ saved: String) -> (String, Source) {
        if let flag, !flag.isEmpty { return (flag, .flag) }
        if let environment, !environment.isEmpty { return (environment, .environment) }
        return saved.isEmpty ? ("", .none) : (saved, .replica)
    }

    /// The token with its secret hidden: `alice.••••••••`.
    public var maskedToken: String {
        guard !token.isEmpty else { return "" }
        guard let dot = token.lastIndex(of: ".") else { return "••••••••" }
        return String(token[..<dot]) + ".••••••••"
    }
}
