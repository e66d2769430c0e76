import AsyncHTTPClient
import Foundation
import NIOCore
import SyncProtocol
import NIOHTTP1

/// Sends sync requests like ``HTTPTransport`` and counts the HTTP/1.1 bytes each way: request
/// line, headers and body; status line, headers and body.
final class CountingTransport: SyncTransport, @unchecked Sendable {
    let client: HTTPClient
    let server: String
    let token: String
    private let lock = NSLock()
    private(set) var sent = 0
    private(set) var received = 0

    init(client: HTTPClient, server: String, token: String) {
        self.client = client
        self.server = server
        self.token = token
    }

    func reset() { lock.withLock { sent = 0; received = 0 } }

    func send(_ request: SyncRequest) async throws -> SyncResponse {
        let body = BinaryWire.encode(request)
        var http = HTTPClientRequest(url: server + "/v1/sync")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: BinaryWire.contentType)
        http.headers.add(name: "Accept", value: BinaryWire.contentType)
        http.headers.add(name: "Authorization", value: "Bearer " + token)
        http.headers.add(name: "Content-Length", value: String(body.count))
        http.body = .bytes(ByteBuffer(bytes: body))
        let host = server.replacingOccurrences(of: "http://", with: "")
        var requestBytes = "POST /v1/sync HTTP/1.1\r\n".utf8.count + "Host: \(host)\r\n".utf8.count + 2 + body.count
        for header in http.headers { requestBytes += header.name.utf8.count + 2 + header.value.utf8.count + 2 }
        let response = try await client.execute(http, timeout: .seconds(60))
        let answer = try await response.body.collect(upTo: 256 << 20)
        var responseBytes = "HTTP/1.1 200 OK\r\n".utf8.count + 2 + answer.readableBytes
        for header in response.headers { responseBytes += header.name.utf8.count + 2 + header.value.utf8.count + 2 }
        lock.withLock {
            sent += requestBytes
            received += responseBytes
        }
        guard response.status == .ok else { throw BenchError("the server answered \(response.status.code)") }
        return try BinaryWire.decodeResponse(answer.readableBytesView)
    }
}
