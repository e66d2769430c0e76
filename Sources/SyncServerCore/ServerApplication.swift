public import Hummingbird
public import LocalStore
public import Logging
import NIOCore

/// Where the server listens and what it serves from.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var limits = ServerLimits()
    public var pauses = TestPauses()

    public init(host: String = "127.0.0.1", port: Int = 8080, limits: ServerLimits = ServerLimits(), pauses: TestPauses = TestPauses()) {
        self.host = host
        self.port = port
        self.limits = limits
        self.pauses = pauses
    }
}

/// Builds the server application; tests call this without starting a process.
/// - Parameters:
///   - store: The server's store.
///   - configuration: Address and limits.
///   - onListening: Called with the bound port once the server accepts connections.
public func buildApplication(
    store: ServerStore,
    configuration: ServerConfiguration,
    logger: Logger = Logger(label: "sync-server"),
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    SyncController(store: store, limits: configuration.limits, pauses: configuration.pauses).register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sync-server"),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}
