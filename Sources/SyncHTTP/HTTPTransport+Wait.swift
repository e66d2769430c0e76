package import SyncProtocol
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension HTTPTransport {
    /// Waits for something new for this replica (`POST /v1/wait`), at most `seconds` on the
    /// server's side; the request itself gives up `slack` later, so a connection that died
    /// silently (a laptop that slept, a dropped network) is noticed within `seconds + slack`.
    /// - Throws: ``SyncError/unreachable(server:reason:)`` when the link fails or the answer does
    ///   not come in time, ``SyncError/server(status:code:message:)`` for a refusal.
    package func wait(_ request: WaitRequest, seconds: Int, slack: Duration = .seconds(10)) async throws -> WaitResponse {
        var http = HTTPClientRequest(url: server + "/v1/wait")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: WireProtocol.contentType)
        http.headers.add(name: "Authorization", value: "Bearer " + token)
        var request = request
        request.seconds = seconds
        http.body = .bytes(ByteBuffer(bytes: WireProtocol.encode(request)))
        let watchdog = TimeAmount.milliseconds(Int64(seconds) * 1000 + slack.components.seconds * 1000 + slack.components.attoseconds / 1_000_000_000_000_000)
        let (response, data, _) = try await execute(http, upTo: 1 << 16, timeout: watchdog)
        guard response.status == .ok else { throw refusal(response, data) }
        guard let answer = try? JSONDecoder().decode(WaitResponse.self, from: data) else {
            throw SyncError.badResponse("the server's answer to a wait is not JSON of the protocol")
        }
        return answer
    }
}
