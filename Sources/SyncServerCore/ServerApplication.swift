package import Hummingbird
import HummingbirdTLS
package import SyncProtocol
package import Logging
import NIOCore
package import NIOSSL

/// Where the server listens and what it serves from.
package struct ServerConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var port = 8080
    package var limits = ServerLimits()
    /// Serve HTTPS with this certificate chain and key (PEM files); plain HTTP when nil.
    package var tls: TLSFiles?
    /// Whether the database can be reached now, for `GET /v1/ready`; throws a sentence if not.
    package var readiness: @Sendable () async throws -> Void
    /// The sync metrics (no-ops unless the process bootstrapped a metrics backend).
    package var metrics: SyncMetrics
    /// The registry of parked waits; a fresh one when nil (tests and benchmarks pass theirs to
    /// count the waits).
    package var waits: WaitRegistry?

    package init(
        host: String = "127.0.0.1", port: Int = 8080, limits: ServerLimits = ServerLimits(), tls: TLSFiles? = nil,
        readiness: @escaping @Sendable () async throws -> Void = {}, metrics: SyncMetrics = SyncMetrics()
    ) {
        self.metrics = metrics
        self.host = host
        self.port = port
        self.limits = limits
        self.tls = tls
        self.readiness = readiness
    }

    /// `http` or `https`.
    package var scheme: String { tls == nil ? "http" : "https" }
}

/// The PEM files of a server certificate (with any intermediates) and its private key.
package struct TLSFiles: Sendable, Equatable {
    package var certificate: String
    package var key: String

    package init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }

    /// Loads the files; each failure names the file and what is wrong with it.
    package func configuration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw TLSSetupError("cannot read the certificate \(certificate): \(error); pass a PEM file (BEGIN CERTIFICATE)")
        }
        guard !chain.isEmpty else { throw TLSSetupError("\(certificate) holds no certificate; pass a PEM file (BEGIN CERTIFICATE)") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw TLSSetupError("cannot read the private key \(key): \(error); pass an unencrypted PEM key (BEGIN PRIVATE KEY)")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    }
}

/// Why the server could not set up HTTPS.
package struct TLSSetupError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}

/// Builds the server application; tests call this without starting a process.
/// - Parameters:
///   - store: The server's store.
///   - configuration: Address and limits.
///   - onListening: Called with the bound port once the server accepts connections.
package func buildApplication(
    store: any ServerStorage,
    configuration: ServerConfiguration,
    logger: Logger = Logger(label: "sync-server"),
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = Router(context: SyncRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    // Requests and durations by route template (never by analyst), through swift-metrics.
    router.add(middleware: MetricsMiddleware())
    let waits = configuration.waits ?? WaitRegistry(limits: configuration.limits)
    SyncController(store: store, limits: configuration.limits, metrics: configuration.metrics, waits: waits).register(on: router)
    ReadinessRoute(check: configuration.readiness).register(on: router)
    let watch = ChangeWatch(store: store, waits: waits, interval: .milliseconds(configuration.limits.changePollMilliseconds), logger: logger)
    return Application(
        router: router,
        server: try configuration.tls.map { try .tls(.http1(), tlsConfiguration: try $0.configuration()) } ?? .http1(),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sync-server"),
        services: [watch],
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}
