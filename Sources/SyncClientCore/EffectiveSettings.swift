package import LocalStore

/// Where the server URL, token and trusted CA file come from: a flag, then the environment, then
/// the replica.
package struct EffectiveSettings: Sendable, Equatable {
    package enum Source: String, Sendable, Encodable {
        case flag, environment, replica, none
    }

    package var server: String
    package var serverSource: Source
    package var token: String
    package var tokenSource: Source
    package var caFile: String
    package var caFileSource: Source

    package init(saved: ReplicaSettings, server flag: String?, token tokenFlag: String?, caFile caFlag: String? = nil, environment: [String: String]) {
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
    package var maskedToken: String {
        guard !token.isEmpty else { return "" }
        guard let dot = token.lastIndex(of: ".") else { return "••••••••" }
        return String(token[..<dot]) + ".••••••••"
    }
}
