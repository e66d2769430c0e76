extension SyncSession {
    /// What the session does about a refused request, decided by the server's code alone.
    enum Reaction: Equatable {
        /// The push was too large for the server: send it again in halves.
        case halvePush
        /// Carried versions the server will not take: send the ranges again one at a time and
        /// leave out the refused one.
        case isolateCarried
        /// The push writes where the analyst is no longer cleared: the replica sets those
        /// writes aside (a carried range is left out instead), then pushes the rest.
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
             .internalError, .httpError, .unknownCursor, .tooManyWaits, .serverBusy, .unknown:
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

    /// After the server refused the request in flight, storing nothing: a push too large
    /// (``ServerErrorCode/bodyTooLarge``, ``ServerErrorCode/tooManyVersions``) goes again in
    /// halves; carried ranges the server will not take go again one at a time to find the refused
    /// one, which is then returned in ``Action/retry(_:refused:)`` (and counted in ``stats``) and
    /// not sent again this session. Decided by the server's code alone.
    /// - Throws: `error` itself when it is no refusal the session recovers from (the session is
    ///   then failed), ``SyncError/pushRefused(_:)`` when a single version or range was too
    ///   large, or ``OutOfOrder`` when no answer was awaited.
    public mutating func failed(_ error: any Error) throws -> Action {
        guard case .awaitingAnswer(let sent, var standing, storing: false) = state else { throw outOfOrder("a failed request") }
        state = .failed(standing)
        guard let refusal = Self.refusal(in: error) else { throw error }
        let (code, message) = refusal
        switch Self.reaction(to: code) {
        case .halvePush where !sent.versions.isEmpty:
            guard sent.versions.count > 1, sent.signatures.count != 1 else { throw SyncError.pushRefused(message) }
            // The refused ranges go again, fewer at a time.
            standing.carriedSent.subtract(sent.signatures)
            standing.pushPageSize = sent.versions.count / 2
            return retry(sent, standing, refused: nil)
        case .isolateCarried where Self.carriesOnly(sent):
            return isolate(sent, &standing, code: code, message: message)
        case .refreshAccess where Self.carriesOnly(sent):
            // Carried for an author who lost a clearance: their range is left out, as any
            // carried range the server will not take; this replica's own writes are not touched.
            return isolate(sent, &standing, code: code, message: message)
        case .refreshAccess where !sent.versions.isEmpty && standing.access != nil && standing.setAsides < 8:
            // A clearance went (or a cell moved) since these writes: set them aside and push
            // the rest; the next answer tells what changed.
            standing.setAsides += 1
            let records = (error as? AccessRefusal)?.records ?? []
            guard !records.isEmpty else { throw error }
            state = .readingPush(serverHasMore: sent.serverHadMore, standing, unstored: nil)
            return .setAside(records, pushQuery(standing))
        default:
            throw error
        }
    }

    /// Whether the refused request pushed only carried ranges (a push of this replica's own
    /// versions never carries, see ``pushRead(vector:versions:)``).
    private static func carriesOnly(_ sent: Sent) -> Bool {
        !sent.signatures.isEmpty && sent.versions.count == sent.signatures.reduce(0, { $0 + $1.count })
    }

    /// Sends carried ranges again one at a time, to find the one the server refused, which is
    /// then returned (and counted) and not sent again this session.
    private mutating func isolate(_ sent: Sent, _ standing: inout Standing, code: ServerErrorCode, message: String) -> Action {
        guard sent.signatures.count == 1 else {
            standing.carriedSent.subtract(sent.signatures)
            standing.pushPageSize = 1
            return retry(sent, standing, refused: nil)
        }
        let refused = RefusedRange(range: sent.signatures[0], code: code, message: message)
        standing.stats.refusedCarried.append(refused)
        return retry(sent, standing, refused: refused)
    }

    private mutating func retry(_ sent: Sent, _ standing: Standing, refused: RefusedRange?) -> Action {
        state = .readingPush(serverHasMore: sent.serverHadMore, standing, unstored: nil)
        return .retry(pushQuery(standing), refused: refused)
    }
}
