/// How one `sync-server bundle apply` ended, counted in the server's database: the command runs
/// as a process of its own, so the serving process can only export the count by reading it
/// (`fieldsync_bundle_applies_total`). A refusal's reason comes from a fixed set, so the
/// counts never grow with data.
public enum BundleApplyResult: Hashable, Sendable, CustomStringConvertible {
    case applied
    case refused(Reason)

    /// Why an apply was refused: the protocol's code for a refusal the server's policy or
    /// storage made (`bad_signature`, `unknown_key`, `counter_gap`, `store_unavailable`, …),
    /// or `bad_bundle` for a file that is no sound bundle for this server (damaged, forged by
    /// its sender, sealed to another key).
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        /// A reason as stored; only the reasons below are ever written.
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let badBundle = Reason(rawValue: "bad_bundle")

        /// The reason for `error`, an apply's failure.
        public init(_ error: any Error) {
            switch error {
            case is BundleError: self = .badBundle
            case let refusal as ExchangeRefusal: self.init(refusal.code)
            case is RelayError: self.init(.malformedSignature)
            case let error as any StorageError: self.init(error.code ?? .internalError)
            default: self.init(.internalError)
            }
        }

        init(_ code: ServerErrorCode) { self.init(rawValue: code.rawValue) }

        public var description: String { rawValue }
    }

    /// `applied` or `refused`: the metric's `result` label.
    public var result: String {
        switch self {
        case .applied: return "applied"
        case .refused: return "refused"
        }
    }

    /// The refusal's reason, nil for an applied bundle.
    public var reason: Reason? {
        switch self {
        case .applied: return nil
        case .refused(let reason): return reason
        }
    }

    public var description: String { reason.map { "\(result) (\($0))" } ?? result }
}
