import Foundation
package import Hummingbird
import CoreMetrics
import Logging
import SyncModel
package import SyncProtocol

/// The routes of the sync server. Each request is checked, then served in one store transaction.
package struct SyncController: Sendable {
    package let store: any ServerStorage
    package let limits: ServerLimits
    /// Milliseconds since 1970; injected so tests can fix time.
    package let now: @Sendable () -> Int64
    package let metrics: SyncMetrics
    /// The waits parked on this server, woken by every commit this process makes.
    package let waits: WaitRegistry

    package init(
        store: any ServerStorage, limits: ServerLimits, metrics: SyncMetrics = SyncMetrics(), waits: WaitRegistry? = nil,
        now: @escaping @Sendable () -> Int64 = WallClock.now
    ) {
        self.store = store
        self.limits = limits
        self.metrics = metrics
        self.waits = waits ?? WaitRegistry(limits: limits)
        self.now = now
    }

    package func register(on router: Router<SyncRequestContext>) {
        router.get("/v1/health") { _, _ in
            jsonResponse(HealthResponse())
        }
        // The public key clients seal bundles to; public, like the health check.
        router.get("/v1/bundle-key") { _, context in
            let key: BundleKey
            do {
                key = try await store.bundleKey()
            } catch {
                context.logger.error("cannot read the bundle key: \(error)")
                throw APIError(.storeUnavailable, "the server cannot read its database; try again later")
            }
            guard let publicKey = key.publicKey else { throw APIError(.internalError, "the server's bundle key is malformed") }
            return jsonResponse(BundleKeyResponse(publicKey: publicKey))
        }
        router.get("/v1/replica-keys") { request, context in
            context.facts.set("analyst", try await authenticate(request, context).name)
            let bindings: [ReplicaID: ReplicaBinding]
            do {
                bindings = try await store.replicaBindings()
            } catch {
                throw APIError(.storeUnavailable, "the server cannot read its database; try again later")
            }
            let entries = bindings.compactMap { replica, binding in
                binding.publicKey.map { VersionBundle.Author(replica: replica, analyst: binding.analyst, publicKey: $0) }
            }
            return jsonResponse(ReplicaKeysResponse(replicas: entries.sorted { $0.replica < $1.replica }))
        }
        router.post("/v1/move") { request, context in
            try await move(request, context: context)
        }
        router.post("/v1/estimate") { request, context in
            try await estimate(request, context: context)
        }
        router.post("/v1/wait") { request, context in
            try await wait(request, context: context)
        }
        router.post("/v1/sync") { request, context in
            do {
                let response = try await sync(request, context: context)
                metrics.requestsOK.increment()
                return response
            } catch {
                let refusal = APIError.from(error)
                switch refusal.code.status {
                case 401: metrics.requestsUnauthorized.increment()
                case 500...: metrics.requestsFailed.increment()
                default: metrics.requestsRefused.increment()
                }
                metrics.refused(context.facts.metadata["versions_in"].flatMap { Int("\($0)") } ?? 0, code: refusal.code)
                throw error
            }
        }
    }

    func sync(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let analyst = try await authenticateLogged(request, context, what: "sync")
        let (message, binary) = try await readSyncRequest(request, context: context)
        let answer: (response: SyncResponse, report: ApplyReport)
        do {
            let started = ContinuousClock.now
            answer = try await store.answer(message, analyst: analyst.name, defaultPageSize: limits.defaultPageSize,
                                            maxPageSize: limits.maxPageSize, at: now())
            let elapsed = (ContinuousClock.now - started).components
            metrics.exchangeDuration.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        } catch {
            let refusal = APIError.from(error)
            var metadata: Logger.Metadata = ["analyst": "\(analyst.name)", "reason": "\(error)"]
            if case ExchangeRefusal.replicaOwnedByOther(_, let owner) = error { metadata["owner"] = "\(owner)" }
            context.logger.notice("sync refused", metadata: metadata)
            throw refusal
        }
        let response = answer.response
        context.facts.set("versions_new", String(answer.report.new))
        context.facts.set("versions_out", String(response.versions.count))
        context.facts.set("pull", message.backfill != nil ? "backfill" : message.cursor == nil ? "vector" : response.cursor == nil ? "cursor refused" : "cursor")
        context.logger.debug("sync", metadata: ["replica": "\(message.replica)", "more": "\(response.more)"])
        // Watching replicas of this instance learn of the push at once (others by their poll).
        if answer.report.new > 0 { await waits.notify() }
        metrics.versionsStored.increment(by: answer.report.new)
        metrics.versionsHeld.increment(by: answer.report.duplicates)
        metrics.pulled(response.versions.count, from: message.cursor, reached: response.more ? nil : response.cursor)
        let encoded = binary ? BinaryWire.encode(response) : WireProtocol.encode(response)
        let reply = syncAnswer(encoded, contentType: binary ? BinaryWire.contentType : WireProtocol.contentType, to: request)
        metrics.bytesOut.increment(by: reply.wireBytes)
        return reply.response
    }

    /// An answer to a sync or estimate request: gzip when the client accepts it and the body is
    /// worth it, and always saying (`Accept-Encoding`, RFC 7694) that this server takes gzip
    /// requests, so a client compresses only for a server that reads it.
    func syncAnswer(_ body: Data, contentType: String, to request: Request) -> (response: Response, wireBytes: Int) {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.acceptEncoding] = Gzip.name
        headers[.vary] = "Accept-Encoding"
        var wire = body
        if Gzip.pays(body.count), Gzip.accepted(by: request.headers[.acceptEncoding]) {
            wire = Gzip.compress(body)
            headers[.contentEncoding] = Gzip.name
        }
        return (Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: wire))), wire.count)
    }

    /// The analyst a request's token names, the refusal logged (never the token) when none.
    func authenticateLogged(_ request: Request, _ context: SyncRequestContext, what: String) async throws -> Analyst {
        let analyst: Analyst
        do {
            analyst = try await authenticate(request, context)
        } catch let error as APIError {
            // The name the token claims, if it has one: never the token or any part of its secret.
            let claimed = request.headers[.authorization].flatMap { header in
                header.split(separator: " ", maxSplits: 1).last.flatMap { TokenHasher.analystName(in: String($0)) }
            }
            context.facts.set("analyst", claimed ?? "(none)")
            context.logger.notice("\(what) refused: \(error.message)", metadata: ["status": "\(error.status.code)", "analyst": "\(claimed ?? "(none)")"])
            throw error
        }
        context.facts.set("analyst", analyst.name)
        return analyst
    }

    /// The sync request a body carries, in either format, checked against the server's limits.
    func readSyncRequest(_ request: Request, context: SyncRequestContext) async throws -> (message: SyncRequest, binary: Bool) {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let binary = contentType.hasPrefix(BinaryWire.contentType)
        guard binary || contentType.hasPrefix(WireProtocol.contentType) else {
            throw APIError(.unsupportedMediaType, "send the body as \(BinaryWire.contentType) or \(WireProtocol.contentType) (Content-Type header)")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maxBodyBytes {
            throw tooLarge()
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limits.maxBodyBytes)
        } catch {
            throw tooLarge()
        }
        metrics.bytesIn.increment(by: body.readableBytes)
        let bytes = try inflated(body, coding: request.headers[.contentEncoding])
        let message: SyncRequest
        do {
            message = binary
                ? try BinaryWire.decodeRequest(bytes)
                : try JSONDecoder().decode(SyncRequest.self, from: bytes)
        } catch let error as BinaryWireError {
            throw APIError(.malformedBody, "the request body is not a binary sync request (\(error.description)); see the protocol in README.md")
        } catch {
            throw APIError.malformed(error)
        }
        context.facts.set("versions_in", String(message.versions.count))
        guard message.protocolVersion == WireProtocol.version else {
            throw APIError(.unsupportedProtocol, "this server speaks protocol version \(WireProtocol.version), the request uses \(message.protocolVersion); upgrade the older side")
        }
        guard message.versions.count <= limits.maxVersionsPerRequest else {
            throw APIError(.tooManyVersions, "the request pushes \(message.versions.count) versions; at most \(limits.maxVersionsPerRequest) are accepted per request, so send them in pages")
        }
        let accessParts = (message.withdrawn?.count ?? 0) + (message.homes?.count ?? 0)
            + (message.backfill.map { $0.records.count + $0.compartments.count } ?? 0)
        guard accessParts <= limits.maxVersionsPerRequest else {
            throw APIError(.tooManyVersions, "the request names \(accessParts) withdrawn dots, homes and backfilled records; at most \(limits.maxVersionsPerRequest) are accepted per request, so send them in pages")
        }
        guard message.vector.count <= ValueRules.maxContextEntries else {
            throw APIError(.vectorTooLarge, "the request's vector has \(message.vector.count) entries; at most \(ValueRules.maxContextEntries) are accepted")
        }
        return (message, binary)
    }

    /// A small JSON body of `type`: one over `limit` bytes is refused with `tooLarge`, one that
    /// does not decode with what is wrong (`what` names the request in the sentence).
    func decodeJSONBody<T: Decodable>(_ type: T.Type, of request: Request, upTo limit: Int, what: String, tooLarge: String) async throws -> T {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch {
            throw APIError(.bodyTooLarge, tooLarge)
        }
        do {
            return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
        } catch {
            throw APIError.malformed(error, what: what)
        }
    }

    /// Moves a cell to another compartment for an analyst cleared to write both.
    func move(_ request: Request, context: SyncRequestContext) async throws -> Response {
        let analyst = try await authenticate(request, context)
        context.facts.set("analyst", analyst.name)
        let move = try await decodeJSONBody(MoveRequest.self, of: request, upTo: 64 << 10, what: "sync request",
                                            tooLarge: "a move request is a record id and a compartment name; this one is over 64 KiB")
        do {
            try await store.move(record: move.record, to: try Compartment.checkName(move.compartment), by: analyst.name, at: now())
        } catch let error as CompartmentError {
            context.logger.notice("move refused", metadata: ["analyst": "\(analyst.name)", "reason": "\(error)"])
            throw APIError.from(error)
        } catch {
            throw APIError(.storeUnavailable, "the server cannot write its database; try again later")
        }
        await waits.notify()
        return jsonResponse(HealthResponse())
    }

    /// The analyst a `Bearer NAME.SECRET` token belongs to. The lookup is by name; the token's
    /// hash is then compared in constant time, and an unknown name is compared against a dummy
    /// hash, so the answer's timing does not tell which part was wrong.
    func authenticate(_ request: Request, _ context: SyncRequestContext) async throws -> Analyst {
        guard let header = request.headers[.authorization] else {
            context.facts.set("reason", "no token")
            throw APIError.missingToken
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty, parts[1].utf8.count <= 256 else {
            context.facts.set("reason", "no bearer token")
            throw APIError.missingToken
        }
        let token = String(parts[1])
        let presented = TokenHasher.hash(token)
        var found: (analyst: Analyst, tokenHash: String)?
        if let name = TokenHasher.analystName(in: token) {
            do {
                found = try await store.activeAnalyst(named: name)
            } catch {
                throw APIError(.storeUnavailable, "the server cannot read its database; try again later")
            }
        }
        let matches = TokenHasher.constantTimeEquals(presented, found?.tokenHash ?? Self.dummyHash)
        guard let found, matches else {
            // For the log only: every one of these gets the same answer.
            context.facts.set("reason", try await refusalReason(name: TokenHasher.analystName(in: token), active: found != nil))
            throw APIError.badToken
        }
        return found.analyst
    }

    /// Why a token was refused, read after the refusal was decided: an unknown analyst, a
    /// revoked one, or a known name with the wrong secret.
    private func refusalReason(name: String?, active: Bool) async throws -> String {
        guard let name else { return "malformed token" }
        if active { return "wrong secret" }
        let known = try? await store.analysts().first { $0.name == name }
        guard let known else { return "unknown analyst" }
        return known.revoked != nil ? "revoked analyst" : "wrong secret"
    }

    private static let dummyHash = TokenHasher.hash("no analyst has this token")

    /// A request body as sent (no coding, or `identity`) or inflated from gzip, never to more
    /// than `--max-body-bytes`: a body that inflates past it is refused whole (413), as one sent
    /// that large would be, before anything is decoded or stored.
    func inflated(_ body: ByteBuffer, coding: String?) throws -> Data {
        let plain = Data(body.readableBytesView)
        guard let coding = coding?.trimmingCharacters(in: .whitespaces).lowercased(), !coding.isEmpty, coding != "identity" else { return plain }
        guard coding == Gzip.name else {
            throw APIError(.unsupportedMediaType, "the request's Content-Encoding '\(coding.prefix(40))' is not one this server reads; send gzip or no Content-Encoding")
        }
        do {
            return try Gzip.decompress(plain, limit: limits.maxBodyBytes)
        } catch .tooLarge {
            throw APIError(.bodyTooLarge, "the request body inflates to more than \(limits.maxBodyBytes) bytes (its gzip is \(plain.count) bytes); send fewer versions per request")
        } catch {
            throw APIError(.malformedBody, "the request body is not gzip as its Content-Encoding says (\(error)); nothing was stored")
        }
    }

    func tooLarge() -> APIError {
        APIError(.bodyTooLarge, "the request body is over \(limits.maxBodyBytes) bytes; send fewer versions per request")
    }
}

func jsonResponse(_ message: some Encodable) -> Response {
    okResponse(WireProtocol.encode(message), contentType: WireProtocol.contentType)
}

func okResponse(_ body: Data, contentType: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = contentType
    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
