/// The stable codes of the server's error answers (`{"error": {"code", "message"}}`), one
/// vocabulary for the server that answers them and the client that reacts to them.
///
/// The wire strings (``rawValue``) never change: clients of every version read them. A code this
/// build does not know is kept as ``unknown(_:)``, so it is still shown to the person syncing,
/// and a client's reaction is decided by the code alone, never by an HTTP status.
public enum ServerErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// 401: no bearer token, or one the server does not know or has revoked.
    case unauthorized
    /// 400: the body is not a sync request.
    case malformedBody
    /// 415: the body is neither the binary encoding nor JSON.
    case unsupportedMediaType
    /// 400: the request speaks another protocol version.
    case unsupportedProtocol
    /// 400: the request's vector has more entries than a version's context may.
    case vectorTooLarge
    /// 400: a signed range or public key is malformed.
    case malformedSignature
    /// 400: a pushed version breaks the model's rules.
    case invalidVersion
    /// 400: a version names a record under another kind than the one it has.
    case kindMismatch
    /// 409: a replica's counters arrived with a gap.
    case counterGap
    /// 409: a dot came back with other content (a copied or restored replica file).
    case dotReused
    /// 403: the requester, or a pushed version's replica, is another analyst's.
    case replicaNotYours
    /// 403: a version is written under another analyst's name.
    case authorMismatch
    /// 403: a carried range's signature does not verify with its replica's key.
    case badSignature
    /// 403: versions are carried for a replica whose key the server does not know yet.
    case unknownKey
    /// 403: the requester sent a signing key other than its bound one.
    case keyMismatch
    /// 403: another analyst's version came without its replica's signature.
    case unsignedVersion
    /// 403: the push writes a record in a compartment the analyst may not write.
    case notCleared
    /// 400: the push places a new record in a compartment the server does not have.
    case unknownCompartment
    /// 413: the request body is over the server's `--max-body-bytes`.
    case bodyTooLarge
    /// 413: the request pushes more versions than the server takes at once.
    case tooManyVersions
    /// 503: the server cannot reach its database.
    case storeUnavailable
    /// 409: a wait's feed cursor is not a position of this server's feed.
    case unknownCursor
    /// 429: the analyst already has as many waits parked as the server allows one analyst.
    case tooManyWaits
    /// 503: the server holds as many parked waits as it allows, or is shutting down.
    case serverBusy
    /// 500: the server failed; its log says why.
    case internalError
    /// An error answer without the protocol's error body (a proxy or gateway answered, or a
    /// route that is not the sync's): named by the client, never sent by the server.
    case httpError
    /// A code this build does not know, kept as the server sent it.
    case unknown(String)

    /// Every code this build knows, for tables and tests.
    public static let known: [ServerErrorCode] = [
        .unauthorized, .malformedBody, .unsupportedMediaType, .unsupportedProtocol, .vectorTooLarge, .malformedSignature,
        .invalidVersion, .kindMismatch, .counterGap, .dotReused, .replicaNotYours, .authorMismatch, .badSignature,
        .unknownKey, .keyMismatch, .unsignedVersion, .notCleared, .unknownCompartment, .bodyTooLarge, .tooManyVersions, .storeUnavailable, .internalError,
        .httpError, .unknownCursor, .tooManyWaits, .serverBusy,
    ]

    public var description: String { rawValue }

    /// The HTTP status the server answers this code with: the server's mapping, defined once
    /// beside the code. A client never reacts to a status, only to the code.
    public var status: Int {
        switch self {
        case .unauthorized: return 401
        case .malformedBody, .unsupportedProtocol, .vectorTooLarge, .malformedSignature, .invalidVersion, .kindMismatch, .unknownCompartment: return 400
        case .replicaNotYours, .authorMismatch, .badSignature, .unknownKey, .keyMismatch, .unsignedVersion, .notCleared: return 403
        case .counterGap, .dotReused, .unknownCursor: return 409
        case .tooManyWaits: return 429
        case .bodyTooLarge, .tooManyVersions: return 413
        case .unsupportedMediaType: return 415
        case .storeUnavailable, .serverBusy: return 503
        case .internalError, .httpError, .unknown: return 500
        }
    }

    /// Codes are equal when the wire spells them alike, however they were made.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

extension ServerErrorCode: RawRepresentable {
    /// The code a wire string names; never fails, as unknown codes are kept.
    public init(rawValue: String) {
        self = Self.byWire[rawValue] ?? .unknown(rawValue)
    }

    /// The code as the wire spells it.
    public var rawValue: String {
        switch self {
        case .unauthorized: return "unauthorized"
        case .malformedBody: return "malformed_body"
        case .unsupportedMediaType: return "unsupported_media_type"
        case .unsupportedProtocol: return "unsupported_protocol"
        case .vectorTooLarge: return "vector_too_large"
        case .malformedSignature: return "malformed_signature"
        case .invalidVersion: return "invalid_version"
        case .kindMismatch: return "kind_mismatch"
        case .counterGap: return "counter_gap"
        case .dotReused: return "dot_reused"
        case .replicaNotYours: return "replica_not_yours"
        case .authorMismatch: return "author_mismatch"
        case .badSignature: return "bad_signature"
        case .unknownKey: return "unknown_key"
        case .keyMismatch: return "key_mismatch"
        case .unsignedVersion: return "unsigned_version"
        case .notCleared: return "not_cleared"
        case .unknownCompartment: return "unknown_compartment"
        case .bodyTooLarge: return "body_too_large"
        case .tooManyVersions: return "too_many_versions"
        case .storeUnavailable: return "store_unavailable"
        case .internalError: return "internal"
        case .httpError: return "http_error"
        case .unknownCursor: return "unknown_cursor"
        case .tooManyWaits: return "too_many_waits"
        case .serverBusy: return "server_busy"
        case .unknown(let code): return code
        }
    }

    private static let byWire = Dictionary(uniqueKeysWithValues: known.map { ($0.rawValue, $0) })
}

/// Encoded as its wire string, so error bodies are the same bytes as before the vocabulary.
extension ServerErrorCode: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
