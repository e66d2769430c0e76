import Logging
import NIOSSL
import PostgresNIO
import SyncProtocol

/// One connection made outside the pool, to hear PostgreSQL's own answer.
///
/// The pool retries a connection that fails and leaves each query waiting for one, so a URL
/// naming a role or database that does not exist used to wait out the 30 s deadline and report
/// a timeout, although PostgreSQL had answered at once (`FATAL: role "…" does not exist`). A
/// single connection sees that answer, and the readiness check uses one for the same reason: a
/// stopped database refuses it at once.
extension PostgresServerStore {
    /// SQLSTATEs that no retry will change: the URL or the role's rights must be fixed.
    /// 28000 invalid authorization (unknown role, no pg_hba.conf entry), 28P01 wrong password,
    /// 3D000 unknown database, 42501 insufficient privilege.
    static let finalStates: Set<String> = ["28000", "28P01", "3D000", "42501"]

    /// Connects once and runs `SELECT 1`, within `seconds`.
    /// - Throws: ``PostgresStoreError/refused(_:)`` for a final refusal, else
    ///   ``PostgresStoreError/unavailable(_:)``.
    static func probe(_ location: PostgresLocation, logger: Logger, seconds: Int = 10) async throws {
        do {
            try await within(seconds: seconds) {
                let connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 0, logger: logger)
                do {
                    try await connection.query("SELECT 1", logger: logger)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try await connection.close()
            }
        } catch {
            throw translate(error)
        }
    }

    /// Whether the database answers now, on a connection of its own (`GET /v1/ready`).
    package func checkReachable() async throws {
        try await Self.probe(location, logger: logger, seconds: 3)
    }

    /// A final refusal in PostgreSQL's words (`FATAL: role "x" does not exist`), if `error` is one.
    static func finalRefusal(_ error: PSQLError) -> String? {
        guard let state = error.serverInfo?[.sqlState], finalStates.contains(state), let message = error.serverInfo?[.message] else { return nil }
        let severity = error.serverInfo?[.severity] ?? error.serverInfo?[.localizedSeverity] ?? "ERROR"
        return "\(severity): \(message) (SQLSTATE \(state))"
    }
}

extension PostgresLocation {
    /// The settings of one connection, as the pool's (``configuration``) makes them.
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database,
            tls: requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        )
    }
}
