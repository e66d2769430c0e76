public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Sends sync requests as `POST /v1/sync` with a bearer token, over AsyncHTTPClient.
public struct HTTPTransport: SyncTransport {
    public let client: HTTPClient
    public let server: String
    private let token: String
    var timeout: TimeAmount
    /// The largest answer accepted, in bytes.
    public var maxResponseBytes = 256 << 20

    public init(client: HTTPClient, server: String, token: String, timeoutSeconds: Int64 = 60) {
        self.client = client
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
        self.timeout = .seconds(timeoutSeconds)
    }

    /// A client that gives up connecting after `connectTimeout`, so an offline sync fails fast.
    public static func makeClient(connectTimeoutSeconds: Int64 = 5) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(connectTimeoutSeconds), read: .seconds(120))
        configuration.decompression = .enabled(limit: .ratio(100))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func send(_ request: SyncRequest) async throws -> SyncResponse {
        var http = HTTPClientRequest(url: server + "/v1/sync")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: WireProtocol.contentType)
        http.headers.add(name: "Accept", value: WireProtocol.contentType)
        http.headers.add(name: "Authorization", value: "Bearer " + token)
        http.body = .bytes(ByteBuffer(bytes: WireProtocol.encode(request)))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(http, timeout: timeout)
            body = try await response.body.collect(upTo: maxResponseBytes)
        } catch {
            throw SyncError.unreachable(server: server, reason: Self.describe(error))
        }
        let data = Data(body.readableBytesView)
        guard response.status == .ok else {
            if let error = try? JSONDecoder().decode(ErrorResponse.self, from: data) {
                throw SyncError.server(status: Int(response.status.code), code: error.error.code, message: error.error.message)
            }
            throw SyncError.server(status: Int(response.status.code), code: "http_error", message: response.status.reasonPhrase)
        }
        do {
            return try JSONDecoder().decode(SyncResponse.self, from: data)
        } catch {
            throw SyncError.badResponse(String(describing: error).prefix(200).description)
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") { return "connection timed out" }
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("readTimeout") || text.contains("deadlineExceeded") { return "the server did not answer in time" }
        return text.count > 160 ? String(text.prefix(160)) + "..." : text
    }
}
