import Foundation
import SyncProtocol
import Testing

/// The server's error codes as the wire spells them: clients of every version read these
/// strings, so the table below may only grow.
@Suite struct ServerErrorCodeTests {
    static let wire: [(ServerErrorCode, String)] = [
        (.unauthorized, "unauthorized"), (.malformedBody, "malformed_body"), (.unsupportedMediaType, "unsupported_media_type"),
        (.unsupportedProtocol, "unsupported_protocol"), (.vectorTooLarge, "vector_too_large"), (.malformedSignature, "malformed_signature"),
        (.invalidVersion, "invalid_version"), (.kindMismatch, "kind_mismatch"), (.counterGap, "counter_gap"), (.dotReused, "dot_reused"),
        (.replicaNotYours, "replica_not_yours"), (.authorMismatch, "author_mismatch"), (.badSignature, "bad_signature"),
        (.unknownKey, "unknown_key"), (.keyMismatch, "key_mismatch"), (.unsignedVersion, "unsigned_version"),
        (.notCleared, "not_cleared"), (.unknownCompartment, "unknown_compartment"),
        (.bodyTooLarge, "body_too_large"), (.tooManyVersions, "too_many_versions"), (.storeUnavailable, "store_unavailable"),
        (.internalError, "internal"), (.httpError, "http_error"),
        (.unknownCursor, "unknown_cursor"), (.tooManyWaits, "too_many_waits"), (.serverBusy, "server_busy"),
    ]

    @Test func everyKnownCodeKeepsItsWireString() {
        #expect(Self.wire.map(\.0) == ServerErrorCode.known, "every known code is pinned here")
        for (code, text) in Self.wire {
            #expect(code.rawValue == text && code.description == text)
            #expect(ServerErrorCode(rawValue: text) == code)
        }
    }

    @Test func anErrorBodyIsTheSameBytesAndAnUnknownCodeIsKept() throws {
        let body = WireProtocol.encode(ErrorResponse(code: .bodyTooLarge, message: "over 1024 bytes"))
        #expect(String(decoding: body, as: UTF8.self) == #"{"error":{"code":"body_too_large","message":"over 1024 bytes"},"protocolVersion":2}"#)
        let newer = Data(#"{"error":{"code":"quota_exceeded","message":"later"},"protocolVersion":2}"#.utf8)
        let decoded = try JSONDecoder().decode(ErrorResponse.self, from: newer)
        #expect(decoded.error.code == .unknown("quota_exceeded"))
        #expect(WireProtocol.encode(decoded) == newer, "a code this build does not know goes back out as it came")
    }

    @Test func codesAreEqualWhenTheWireSpellsThemAlike() {
        #expect(ServerErrorCode.unknown("bad_signature") == .badSignature)
        #expect(Set([ServerErrorCode.unknown("counter_gap"), .counterGap]).count == 1)
        #expect(ServerErrorCode.unknown("x") != .unknown("y"))
    }

    @Test func aRefusalNamesItsCodeInItsSentence() {
        let error = SyncError.server(status: 409, code: .dotReused, message: "already received")
        #expect(error.description == "the server refused the sync (409 dot_reused): already received")
    }
}
