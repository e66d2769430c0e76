import Foundation
public import Logging
import PostgresNIO
public import SyncModel
public import SyncProtocol

/// The server's storage in PostgreSQL, for several `sync-server` instances sharing one database.
///
/// It keeps what the protocol needs and nothing more: analysts, replica bindings, every version,
/// and the feed. Field states are not kept: the server answers with versions, and every replica
/// merges them itself. See ``perform(_:ownership:beforeCommit:)`` for how instances share the feed.
public final class PostgresServerStore: ServerStorage {
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>
    public let location: PostgresLocation

    /// Connects to the database at `location`, bringing its schema up to date (a new, empty
    /// database gets the whole schema). Throws a sentence if it cannot be reached, or holds
    /// another program's tables or a newer schema.
    public static func connect(_ location: PostgresLocation, logger: Logger = Logger(label: "sync-server.postgres")) async throws -> PostgresServerStore {
        let store = PostgresServerStore(location: location, logger: logger)
        do {
            try await store.mapErrors { try await PostgresSchema.migrate(store.client, logger: logger) }
        } catch {
            store.close()
            throw error
        }
        return store
    }

    private init(location: PostgresLocation, logger: Logger) {
        self.location = location
        self.logger = logger
        let client = PostgresClient(configuration: location.configuration, backgroundLogger: logger)
        self.client = client
        running = Task { await client.run() }
    }

    /// Closes every connection; the store is unusable afterwards.
    public func close() {
        running.cancel()
    }

    deinit { running.cancel() }

    /// Runs `body`, turning the database's failures into ``PostgresStoreError/unavailable(_:)``
    /// (the server answers 503 and clients try again) and leaving the store's own errors as they are.
    func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw Self.translate(error)
        }
    }

    private static func translate(_ error: any Error) -> any Error {
        switch error {
        case is any StorageError, is ExchangeRefusal, is AnalystError, is CancellationError:
            return error
        case let error as PostgresTransactionError:
            // What failed inside the transaction, else why it could not begin or commit.
            if let inner = error.closureError { return translate(inner) }
            if let failure = error.beginError ?? error.commitError { return translate(failure) }
            return PostgresStoreError.unavailable("a transaction failed")
        case let error as PSQLError:
            return PostgresStoreError.unavailable(reason(error))
        default:
            return PostgresStoreError.unavailable("\(error)")
        }
    }

    /// A short reason for a database failure, never the connection's password.
    static func reason(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] {
            return "\(error.serverInfo?[.sqlState].map { "SQLSTATE \($0): " } ?? "")\(message)"
        }
        return "\(error.code)"
    }

    public func check(_ versions: [Version]) throws -> [Version] {
        try versions.map { version in
            do {
                return try VersionRules.validated(version)
            } catch let error as ModelError {
                throw VersionRefusal.invalid(error)
            }
        }
    }

    public func addAnalyst(name: String, tokenHash: String, at time: Int64) async throws {
        try await mapErrors {
            let inserted = try await client.query("""
                INSERT INTO analyst (name, token_hash, created) VALUES (\(name), \(tokenHash), \(time))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """, logger: logger).decode(String.self)
            for try await _ in inserted { return }
            throw AnalystError.exists(name)
        }
    }

    public func activeAnalyst(named name: String) async throws -> (analyst: Analyst, tokenHash: String)? {
        try await mapErrors {
            let rows = try await client.query("SELECT name, created, revoked, token_hash FROM analyst WHERE name = \(name) AND revoked IS NULL", logger: logger)
            for try await (name, created, revoked, hash) in rows.decode((String, Int64, Int64?, String).self) {
                return (Analyst(name: name, created: created, revoked: revoked), hash)
            }
            return nil
        }
    }

    public func analysts() async throws -> [Analyst] {
        try await mapErrors {
            var result: [Analyst] = []
            let rows = try await client.query("SELECT name, created, revoked FROM analyst ORDER BY name", logger: logger)
            for try await (name, created, revoked) in rows.decode((String, Int64, Int64?).self) {
                result.append(Analyst(name: name, created: created, revoked: revoked))
            }
            return result
        }
    }

    public func replaceToken(name: String, tokenHash: String) async throws -> Bool {
        try await mapErrors {
            let rows = try await client.query("UPDATE analyst SET token_hash = \(tokenHash) WHERE name = \(name) RETURNING revoked", logger: logger)
            for try await revoked in rows.decode(Int64?.self) { return revoked != nil }
            throw AnalystError.notFound(name)
        }
    }

    public func reinstate(name: String) async throws -> Bool {
        try await mapErrors {
            let rows = try await client.query("UPDATE analyst SET revoked = NULL WHERE name = \(name) AND revoked IS NOT NULL RETURNING name", logger: logger)
            for try await _ in rows.decode(String.self) { return true }
            guard try await exists(analyst: name) else { throw AnalystError.notFound(name) }
            return false
        }
    }

    public func revoke(name: String, at time: Int64) async throws {
        try await mapErrors {
            try await client.query("UPDATE analyst SET revoked = \(time) WHERE name = \(name) AND revoked IS NULL", logger: logger)
            guard try await exists(analyst: name) else { throw AnalystError.notFound(name) }
        }
    }

    private func exists(analyst name: String) async throws -> Bool {
        for try await _ in try await client.query("SELECT name FROM analyst WHERE name = \(name)", logger: logger).decode(String.self) { return true }
        return false
    }

    public func owners() async throws -> [ReplicaID: String] {
        try await mapErrors {
            var result: [ReplicaID: String] = [:]
            for try await (replica, analyst) in try await client.query("SELECT replica, analyst FROM replica_owner", logger: logger).decode((String, String).self) {
                if let id = ReplicaID(replica) { result[id] = analyst }
            }
            return result
        }
    }
}
