package import AsyncHTTPClient
package import SyncProtocol
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends sync requests as `POST /v1/sync` with a bearer token, over AsyncHTTPClient.
///
/// With a ``meter`` the transport follows the link's pace (``LinkPace``): on a link not known to
/// be fast it asks for gzip answers (`Accept-Encoding: gzip`) and, once the server has said it
/// takes them, sends requests of ``Gzip/threshold`` bytes or more as gzip. Without one it sends
/// and asks for plain bodies.
package struct HTTPTransport: SyncTransport {
    package let client: HTTPClient
    package let server: String
    let token: String
    var timeout: TimeAmount
    /// The largest answer accepted, in bytes.
    package var maxResponseBytes = 256 << 20
    /// Counts each sync request's bytes and time, when set.
    package var meter: TransferMeter?

    package init(client: HTTPClient, server: String, token: String, timeoutSeconds: Int64 = 60) {
        self.client = client
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
        self.timeout = .seconds(timeoutSeconds)
    }

    /// A client that gives up connecting after `connectTimeout`, so an offline sync fails fast.
    /// `caFile`, a PEM file of certificate authorities, is trusted besides the system's.
    package static func makeClient(connectTimeoutSeconds: Int64 = 5, caFile: String = "") throws -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        if !caFile.isEmpty {
            let authorities: [NIOSSLCertificate]
            do {
                authorities = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw SyncError.notConfigured("cannot read the CA file \(caFile) (\(error)); pass a PEM file of certificates (BEGIN CERTIFICATE)")
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.certificates(authorities)]
            configuration.tlsConfiguration = tls
        }
        configuration.timeout = .init(connect: .seconds(connectTimeoutSeconds), read: .seconds(120))
        // A refused connection fails at once (the pool would otherwise try again until the
        // connect timeout); only a silent network waits for it. RetryingTransport sends a request
        // again where that is safe.
        configuration.connectionPool.retryConnectionEstablishment = false
        // Answers are inflated by `execute`, which counts their bytes as they travelled and
        // bounds what they inflate to.
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Runs `body` with a transport on a client of its own (``makeClient(connectTimeoutSeconds:caFile:)``),
    /// and shuts the client down after it, whether `body` returns or throws: a client left
    /// running holds its connections until the process ends.
    package static func withTransport<Result>(
        server: String, token: String, connectTimeoutSeconds: Int64 = 5, caFile: String = "", timeoutSeconds: Int64 = 60,
        _ body: (HTTPTransport) async throws -> Result
    ) async throws -> Result {
        let client = try makeClient(connectTimeoutSeconds: connectTimeoutSeconds, caFile: caFile)
        let result: Result
        do {
            result = try await body(HTTPTransport(client: client, server: server, token: token, timeoutSeconds: timeoutSeconds))
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    package func send(_ request: SyncRequest) async throws -> SyncResponse {
        var http = HTTPClientRequest(url: server + "/v1/sync")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: BinaryWire.contentType)
        http.headers.add(name: "Accept", value: BinaryWire.contentType)
        http.headers.add(name: "Authorization", value: "Bearer " + token)
        let plain = BinaryWire.encode(request)
        let body = compressing(plain, into: &http)
        http.body = .bytes(ByteBuffer(bytes: body))
        let started = ContinuousClock.now
        let (response, data, wire) = try await execute(http, upTo: maxResponseBytes)
        let elapsed = (ContinuousClock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        if Gzip.accepted(by: response.headers.first(name: "Accept-Encoding")) { meter?.noteServerTakesGzip() }
        // Budget units are what the pace learns from; without a meter nobody reads them.
        let counting = meter != nil
        var sample = TransferMeter.Sample(sent: body.count, received: wire, seconds: seconds, plainSent: plain.count, plainReceived: data.count,
                                          units: counting ? PageBudget.size(of: request.versions) : 0)
        guard response.status == .ok else {
            meter?.record(sample)
            if let error = try? JSONDecoder().decode(ErrorResponse.self, from: data), let records = error.error.records, !records.isEmpty {
                throw AccessRefusal.answered(code: error.error.code, message: error.error.message, records: records)
            }
            throw Self.refusal(response, data, server: server)
        }
        let answer: SyncResponse
        do {
            if response.headers.first(name: "Content-Type")?.lowercased().hasPrefix(BinaryWire.contentType) == true {
                answer = try BinaryWire.decodeResponse(data)
            } else {
                answer = try JSONDecoder().decode(SyncResponse.self, from: data)
            }
        } catch {
            meter?.record(sample)
            throw SyncError.badResponse(String(describing: error).prefix(200).description)
        }
        if counting { sample.units += PageBudget.size(of: answer.versions) }
        meter?.record(sample)
        return answer
    }

    /// The body to send for `plain`, asking for a gzip answer on a slow link and compressing
    /// the body once the server has said it takes gzip (see the type's description).
    func compressing(_ plain: Data, into http: inout HTTPClientRequest) -> Data {
        guard let meter, meter.pace.compresses else { return plain }
        http.headers.add(name: "Accept-Encoding", value: Gzip.name)
        guard meter.serverTakesGzip, Gzip.pays(plain.count) else { return plain }
        http.headers.add(name: "Content-Encoding", value: Gzip.name)
        return Gzip.compress(plain)
    }

    /// What a sync starting with `request` would pull (`POST /v1/estimate`), with nothing stored.
    package func estimate(_ request: SyncRequest) async throws -> EstimateResponse {
        var http = HTTPClientRequest(url: server + "/v1/estimate")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: BinaryWire.contentType)
        http.headers.add(name: "Authorization", value: "Bearer " + token)
        if meter?.pace.compresses == true { http.headers.add(name: "Accept-Encoding", value: Gzip.name) }
        http.body = .bytes(ByteBuffer(bytes: BinaryWire.encode(request)))
        let (response, data, _) = try await execute(http, upTo: 1 << 20)
        guard response.status == .ok else { throw Self.refusal(response, data, server: server) }
        guard let estimate = try? JSONDecoder().decode(EstimateResponse.self, from: data) else {
            throw SyncError.badResponse("the server's estimate is not one this client reads")
        }
        return estimate
    }

    /// The error an answer other than 200 means: the server's own sentence, or, for a server
    /// that has no such route, that no field-sync server (of this version) answers here.
    static func refusal(_ response: HTTPClientResponse, _ data: Data, server: String) -> any Error {
        if let error = try? JSONDecoder().decode(ErrorResponse.self, from: data) {
            return SyncError.server(status: Int(response.status.code), code: error.error.code, message: error.error.message)
        }
        if response.status == .notFound || response.status == .methodNotAllowed {
            return SyncError.notASyncServer(server: server, status: Int(response.status.code), reason: response.status.reasonPhrase)
        }
        return SyncError.server(status: Int(response.status.code), code: .httpError, message: response.status.reasonPhrase)
    }

    /// Moves a cell to another compartment (`POST /v1/move`).
    package func move(_ move: MoveRequest) async throws {
        var http = HTTPClientRequest(url: server + "/v1/move")
        http.method = .POST
        http.headers.add(name: "Content-Type", value: WireProtocol.contentType)
        http.headers.add(name: "Authorization", value: "Bearer " + token)
        http.body = .bytes(ByteBuffer(bytes: WireProtocol.encode(move)))
        let (response, data, _) = try await execute(http, upTo: 1 << 20)
        guard response.status == .ok else { throw refusal(response, data) }
    }

    /// The error an answer other than 200 stands for: the server's code and sentence, or, with
    /// no body of the protocol, an address that is not a field-sync server (404, 405) or the
    /// bare HTTP status.
    func refusal(_ response: HTTPClientResponse, _ data: Data) -> SyncError {
        if let error = try? JSONDecoder().decode(ErrorResponse.self, from: data) {
            return SyncError.server(status: Int(response.status.code), code: error.error.code, message: error.error.message)
        }
        if response.status == .notFound || response.status == .methodNotAllowed {
            return SyncError.notASyncServer(server: server, status: Int(response.status.code), reason: response.status.reasonPhrase)
        }
        return SyncError.server(status: Int(response.status.code), code: .httpError, message: response.status.reasonPhrase)
    }

    /// The server's public key for sealed bundles (`GET /v1/bundle-key`).
    package func bundleKey() async throws -> BundleKeyResponse {
        try await get("/v1/bundle-key", as: BundleKeyResponse.self, what: "its bundle key")
    }

    /// The signing key of every replica bound on the server (`GET /v1/replica-keys`).
    package func replicaKeys() async throws -> ReplicaKeysResponse {
        try await get("/v1/replica-keys", as: ReplicaKeysResponse.self, what: "its replicas' keys")
    }

    private func get<Answer: Decodable>(_ path: String, as: Answer.Type, what: String) async throws -> Answer {
        var http = HTTPClientRequest(url: server + path)
        http.headers.add(name: "Authorization", value: "Bearer " + token)
        let (response, data, _) = try await execute(http, upTo: 16 << 20)
        guard response.status == .ok, let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
            throw SyncError.server(status: Int(response.status.code), code: .httpError, message: "the server did not give \(what) (\(response.status))")
        }
        return answer
    }

    /// Sends `http` and reads its whole answer (at most `limit` bytes, before and after a gzip
    /// answer is inflated), with the bytes it took on the wire; a failure of the link is
    /// ``SyncError/unreachable(server:reason:)``, a gzip answer that does not inflate
    /// ``SyncError/badResponse(_:)``.
    func execute(_ http: HTTPClientRequest, upTo limit: Int, timeout: TimeAmount? = nil) async throws -> (HTTPClientResponse, Data, wire: Int) {
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(http, timeout: timeout ?? self.timeout)
            body = try await response.body.collect(upTo: limit)
        } catch {
            throw SyncError.unreachable(server: server, reason: Self.describe(error))
        }
        guard let coding = response.headers.first(name: "Content-Encoding")?.lowercased(), coding != "identity" else {
            return (response, Data(body.readableBytesView), body.readableBytes)
        }
        guard coding == Gzip.name else { throw SyncError.badResponse("the server answered in the content coding '\(coding)', which this client does not read") }
        do {
            return (response, try Gzip.decompress(Data(body.readableBytesView), limit: limit), body.readableBytes)
        } catch {
            throw SyncError.badResponse("the server's gzip answer does not inflate (\(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        // TLS library errors carry its internals and build paths: say what they mean instead.
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST") {
            return "the server did not answer in TLS: it seems to serve plain HTTP, so use http:// instead of https://"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return "the server's TLS certificate is not trusted; if it uses its own certificate authority, pass its certificate with --ca-file"
        }
        if error is NIOSSLError || text.contains("handshakeFailed") || text.contains("BoringSSL") {
            return "the TLS handshake failed; check that the server serves HTTPS at this address and, for its own certificate authority, pass --ca-file"
        }
        if text.contains("connectTimeout") { return "connection timed out" }
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("readTimeout") || text.contains("deadlineExceeded") { return "the server did not answer in time" }
        return text.count > 160 ? String(text.prefix(160)) + "..." : text
    }
}
