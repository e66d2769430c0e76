extension SyncSession {
    /// What the session does about a refused request, decided by the server's code alone.
    enum Reaction: Equatable {
        /// The push was too large for the server: send it again in halves.
        case halvePush
        /// Carried versions the server will not take: send the ranges again one at a time and
        /// leave out the refused one.
        case isolateCarried
        /// The push writes where the analyst is no longer cleared: ask what changed (the
        /// replica sets those writes aside), then push again.
        case refreshAccess
        /// Nothing the session can do: the sync stops with the server's sentence.
        case stop
    }

    /// The reaction to each code. Exhaustive, so a code added to the vocabulary is decided here.
    static func reaction(to code: ServerErrorCode) -> Reaction {
        switch code {
        case .bodyTooLarge, .tooManyVersions:
            return .halvePush
        case .badSignature, .unknownKey, .unsignedVersion, .authorMismatch:
            return .isolateCarried
        case .notCleared:
            return .refreshAccess
        case .unauthorized, .malformedBody, .unsupportedMediaType, .unsupportedProtocol, .vectorTooLarge, .malformedSignature,
             .invalidVersion, .kindMismatch, .counterGap, .dotReused, .replicaNotYours, .keyMismatch, .storeUnavailable, .unknownCompartment,
             .internalError, .httpError, .unknown:
            return .stop
        }
    }

    /// The server's code and sentence in a refusal: from an HTTP answer (``SyncError/server(status:code:message:)``)
    /// or from the policy in this process (``ExchangeRefusal``); nil for any other failure.
    static func refusal(in error: any Error) -> (code: ServerErrorCode, message: String)? {
        switch error {
        case SyncError.server(_, let code, let message): return (code, message)
        case let refusal as ExchangeRefusal: return (refusal.code, refusal.description)
        case let refusal as AccessRefusal: return (refusal.code, refusal.description)
        default: return nil
        }
    }
}
