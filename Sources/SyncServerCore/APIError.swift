package import Hummingbird
import Foundation
package import SyncProtocol
package import SyncModel

/// An error answer: a stable code of the protocol (which gives the HTTP status) and a sentence
/// saying what to do.
package struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    package var code: ServerErrorCode
    package var message: String
    /// The records a refused push wrote outside the analyst's clearances.
    package var records: [RecordID]?

    package init(_ code: ServerErrorCode, _ message: String, records: [RecordID]? = nil) {
        self.code = code
        self.message = message
        self.records = records
    }

    /// The status the code is answered with (``ServerErrorCode/status``).
    package var status: HTTPResponse.Status { HTTPResponse.Status(code: code.status) }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = WireProtocol.contentType
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        let body = WireProtocol.encode(ErrorResponse(code: code, message: message, records: records))
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static let missingToken = APIError(.unauthorized, "missing bearer token: send 'Authorization: Bearer TOKEN' with the token from `sync-server analyst add`")
    static let badToken = APIError(.unauthorized, "the token is unknown or revoked; ask the server administrator for a new one")

    /// Maps a failure of the exchange to its answer.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let refusal as ExchangeRefusal:
            return APIError(refusal.code, refusal.description)
        case let refusal as AccessRefusal:
            return APIError(refusal.code, refusal.description, records: refusal.records)
        case let error as HomeError:
            return APIError(error.code, error.description)
        case let error as CompartmentError:
            return APIError(error.code, error.description)
        case let refusal as WaitRefusal:
            return APIError(refusal.code, refusal.description)
        case let error as RelayError:
            return APIError(.malformedSignature, error.description)
        case let error as any StorageError:
            return APIError(error.code ?? .internalError, error.description)
        default:
            return APIError(.internalError, "the server failed to serve the request (\(error)); try again, and report it if it persists")
        }
    }

    /// A sentence naming where a JSON body went wrong.
    static func malformed(_ error: any Error, what: String = "sync request") -> APIError {
        let detail: String
        switch error {
        case DecodingError.dataCorrupted(let context):
            detail = context.codingPath.isEmpty ? "the body is not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, let context):
            detail = "missing key '\(key.stringValue)' at \(path(context.codingPath))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            detail = "\(path(context.codingPath)): \(context.debugDescription)"
        default:
            detail = "the body is not valid JSON"
        }
        return APIError(.malformedBody, "the request body is not a \(what) (\(detail)); see the protocol in README.md")
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
