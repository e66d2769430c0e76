import Foundation
package import Logging
import PostgresNIO
package import SyncModel
package import SyncProtocol

/// The server's storage in PostgreSQL, for several `sync-server` instances sharing one database.
///
/// It keeps what the protocol needs and nothing more: analysts, replica bindings, every version,
/// the feed, and need-to-know (compartments, clearances, each record's compartments and the log
/// of their changes, see ``PostgresAccess``). Field states are not kept: the server answers with
/// versions, and every replica merges them itself. See ``perform(_:ownership:)`` for how
/// instances share the feed, and the order in which every transaction takes its locks.
package final class PostgresServerStore: ServerStorage {
    let client: PostgresClient
    let logger: Logger
    /// Pauses a test places in each exchange (see ``CommitPauses``).
    let pauses: CommitPauses
    /// How long one operation may wait for the database, in seconds (see ``deadlineSeconds``).
    let deadline: Int
    private let running: Task<Void, Never>
    package let location: PostgresLocation

    /// Connects to the database at `location`, bringing its schema up to date (a new, empty
    /// database gets the whole schema). Throws a sentence if it cannot be reached, or holds
    /// another program's tables or a newer schema. Each exchange pauses as `pauses` says
    /// (end-to-end tests kill a server there); an operation the database has not answered
    /// within `deadline` seconds fails as unavailable.
    package static func connect(
        _ location: PostgresLocation, logger: Logger = Logger(label: "sync-server.postgres"),
        pauses: CommitPauses = CommitPauses(), deadline: Int = deadlineSeconds
    ) async throws -> PostgresServerStore {
        let store = PostgresServerStore(location: location, logger: logger, pauses: pauses, deadline: deadline)
        do {
            // A final refusal is reported at once; a database that does not answer yet is left
            // to the pool, which keeps trying until the deadline.
            do {
                try await probe(location, logger: logger)
            } catch let refusal as PostgresStoreError {
                if case .refused = refusal { throw refusal }
            }
            try await store.mapErrors { try await PostgresSchema.migrate(store.client, logger: logger) }
        } catch {
            store.close()
            throw error
        }
        return store
    }

    private init(location: PostgresLocation, logger: Logger, pauses: CommitPauses, deadline: Int) {
        self.location = location
        self.logger = logger
        self.pauses = pauses
        self.deadline = deadline
        // Its background logger says only what went wrong: a lease asked for before `run()` has
        // begun is expected here (the pool starts in a task) and only warned about.
        var background = logger
        background.logLevel = .error
        let client = PostgresClient(configuration: location.configuration, backgroundLogger: background)
        self.client = client
        running = Task { await client.run() }
    }

    /// Closes every connection; the store is unusable afterwards.
    package func close() {
        running.cancel()
    }

    deinit { running.cancel() }

    /// Runs `body`, turning the database's failures into ``PostgresStoreError/unavailable(_:)``
    /// (the server answers 503 and clients try again) and leaving the store's own errors as they are.
    func mapErrors<T: Sendable>(deadline seconds: Int? = nil, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await Self.within(seconds: seconds ?? deadline, body)
        } catch {
            throw Self.translate(error)
        }
    }

    /// How long one operation may wait for the database. After a database restart, one request
    /// in a few was seen to wait on postgres-nio's pool until a timer of the pool's a minute later;
    /// cancelled, it frees the pool at once. So the request answers 503 after this long, well
    /// inside the client's 60 s, and the client's retry is served. The largest page (20,000
    /// versions) takes well under a second to store or read.
    static let deadlineSeconds = 30

    /// `body`'s result, or ``PostgresStoreError/unavailable(_:)`` after `seconds`; a late body is
    /// cancelled and left to end on its own.
    static func within<T: Sendable>(seconds: Int, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.continuation = continuation
            let work = Task {
                do { outcome.finish(.success(try await body())) } catch { outcome.finish(.failure(error)) }
            }
            outcome.timer = Task {
                try? await Task.sleep(for: .seconds(seconds))
                guard !Task.isCancelled else { return }
                outcome.finish(.failure(PostgresStoreError.unavailable("the database did not answer within \(seconds) s")))
                work.cancel()
            }
        }
    }

    static func translate(_ error: any Error) -> any Error {
        switch error {
        case is any StorageError, is ExchangeRefusal, is AnalystError, is AccessRefusal, is CompartmentError, is HomeError, is ShallowError, is CancellationError:
            return error
        case let error as PostgresTransactionError:
            // What failed inside the transaction, else why it could not begin or commit.
            if let inner = error.closureError { return translate(inner) }
            if let failure = error.beginError ?? error.commitError { return translate(failure) }
            return PostgresStoreError.unavailable("a transaction failed")
        case let error as PSQLError:
            if let refusal = finalRefusal(error) { return PostgresStoreError.refused(refusal) }
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

    package func check(_ versions: [Version]) throws -> [Version] {
        try versions.map { version in
            do {
                return try VersionRules.validated(version)
            } catch let error as ModelError {
                throw VersionRefusal.invalid(error)
            }
        }
    }

    package func addAnalyst(name: String, tokenHash: String, at time: Int64) async throws {
        try await mapErrors { [self] in
            // Every analyst may write the default compartment until the admin says otherwise:
            // cleared by the same statement that adds them.
            let inserted = try await client.query("""
                WITH added AS (
                    INSERT INTO analyst (name, token_hash, created) VALUES (\(name), \(tokenHash), \(time))
                    ON CONFLICT (name) DO NOTHING RETURNING name),
                cleared AS (INSERT INTO clearance (analyst, compartment, write) SELECT name, 1, true FROM added)
                SELECT name FROM added
                """, logger: logger).decode(String.self)
            for try await _ in inserted {
                try await client.withConnection { try await Self.bumpTeamAccess($0, logger) }
                return
            }
            throw AnalystError.exists(name)
        }
    }

    package func activeAnalyst(named name: String) async throws -> (analyst: Analyst, tokenHash: String)? {
        try await mapErrors { [self] in
            let rows = try await client.query("SELECT name, created, revoked, token_hash FROM analyst WHERE name = \(name) AND revoked IS NULL", logger: logger)
            for try await (name, created, revoked, hash) in rows.decode((String, Int64, Int64?, String).self) {
                return (Analyst(name: name, created: created, revoked: revoked), hash)
            }
            return nil
        }
    }

    package func analysts() async throws -> [Analyst] {
        try await mapErrors { [self] in
            var result: [Analyst] = []
            let rows = try await client.query("SELECT name, created, revoked FROM analyst ORDER BY name", logger: logger)
            for try await (name, created, revoked) in rows.decode((String, Int64, Int64?).self) {
                result.append(Analyst(name: name, created: created, revoked: revoked))
            }
            return result
        }
    }

    package func replaceToken(name: String, tokenHash: String) async throws -> Bool {
        try await mapErrors { [self] in
            let rows = try await client.query("UPDATE analyst SET token_hash = \(tokenHash) WHERE name = \(name) RETURNING revoked", logger: logger)
            for try await revoked in rows.decode(Int64?.self) { return revoked != nil }
            throw AnalystError.notFound(name)
        }
    }

    package func reinstate(name: String) async throws -> Bool {
        try await mapErrors { [self] in
            let rows = try await client.query("UPDATE analyst SET revoked = NULL WHERE name = \(name) AND revoked IS NOT NULL RETURNING name", logger: logger)
            for try await _ in rows.decode(String.self) { return true }
            guard try await exists(analyst: name) else { throw AnalystError.notFound(name) }
            return false
        }
    }

    package func revoke(name: String, at time: Int64) async throws {
        try await mapErrors { [self] in
            let revoked = try await client.query("UPDATE analyst SET revoked = \(time) WHERE name = \(name) AND revoked IS NULL RETURNING name", logger: logger)
            for try await _ in revoked.decode(String.self) {
                try await client.withConnection { try await Self.bumpTeamAccess($0, logger) }
                return
            }
            guard try await exists(analyst: name) else { throw AnalystError.notFound(name) }
        }
    }

    func exists(analyst name: String) async throws -> Bool {
        for try await _ in try await client.query("SELECT name FROM analyst WHERE name = \(name)", logger: logger).decode(String.self) { return true }
        return false
    }

    package func bundleKey() async throws -> BundleKey {
        try await mapErrors { [self] in
            let made = BundleKey.generate()
            // Instances racing to make it keep the first one stored.
            try await client.query("INSERT INTO bundle_key (one, private_key) VALUES (true, \(made.privateKey)) ON CONFLICT (one) DO NOTHING", logger: logger)
            for try await key in try await client.query("SELECT private_key FROM bundle_key", logger: logger).decode(Data.self) {
                return BundleKey(privateKey: key)
            }
            throw PostgresStoreError.damaged("the bundle key was stored but cannot be read back")
        }
    }

    package func replicaBindings() async throws -> [ReplicaID: ReplicaBinding] {
        try await mapErrors { [self] in
            var result: [ReplicaID: ReplicaBinding] = [:]
            let rows = try await client.query("SELECT replica, analyst, public_key FROM replica_owner", logger: logger)
            for try await (replica, analyst, key) in rows.decode((String, String, Data?).self) {
                if let id = ReplicaID(replica) { result[id] = ReplicaBinding(analyst: analyst, publicKey: key) }
            }
            return result
        }
    }

    /// Everything the database keeps, as text in a canonical order: equal exactly when two
    /// states are equal (tests check that a refused request changed nothing).
    package func canonicalDump() async throws -> String {
        try await mapErrors { [self] in
            try await client.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                var lines: [String] = []
                let tables: [PostgresQuery] = [
                    "SELECT 'replica ' || uuid || ' ' || counter FROM replica ORDER BY uuid COLLATE \"C\"",
                    "SELECT 'record ' || id || ' ' || kind || ' ' || compartments::text FROM record ORDER BY id COLLATE \"C\"",
                    """
                    SELECT 'version ' || r.uuid || ':' || v.counter || ' ' || v.record || ' ' || v.field || ' ' || v.context || ' '
                           || v.value || ' ' || v.author || ' ' || v.time
                    FROM version v JOIN replica r ON r.id = v.replica ORDER BY r.uuid COLLATE "C", v.counter
                    """,
                    "SELECT 'feed ' || v.seq || ' ' || v.chain || ' ' || r.uuid || ':' || v.counter FROM version v JOIN replica r ON r.id = v.replica ORDER BY v.seq",
                    "SELECT 'head ' || seq || ' ' || chain FROM feed_head",
                    "SELECT 'analyst ' || name || ' ' || token_hash || ' ' || created || ' ' || coalesce(revoked::text, '-') FROM analyst ORDER BY name COLLATE \"C\"",
                    "SELECT 'owner ' || replica || ' ' || analyst || ' ' || bound || ' ' || coalesce(encode(public_key, 'hex'), '-') FROM replica_owner ORDER BY replica COLLATE \"C\"",
                    "SELECT 'compartment ' || id || ' ' || name || ' ' || created FROM compartment ORDER BY id",
                    "SELECT 'clearance ' || analyst || ' ' || compartment || ' ' || write FROM clearance ORDER BY analyst COLLATE \"C\", compartment",
                    "SELECT 'access ' || name || ' ' || home || ' ' || access_version FROM analyst ORDER BY name COLLATE \"C\"",
                    "SELECT 'placement ' || seq || ' ' || record || ' ' || before::text || ' ' || after::text || ' ' || time FROM placement ORDER BY seq",
                    "SELECT 'placement-head ' || seq FROM placement_head",
                    "SELECT 'cell-number ' || number || ' ' || record FROM cell_number ORDER BY number, record COLLATE \"C\"",
                    "SELECT 'signal-tag ' || number || ' ' || signal FROM signal_tag ORDER BY number, signal COLLATE \"C\"",
                    "SELECT 'signal-ref ' || cell || ' ' || signal FROM signal_ref ORDER BY cell COLLATE \"C\", signal COLLATE \"C\"",
                ]
                for query in tables {
                    for try await line in try await connection.query(query, logger: logger).decode(String.self) { lines.append(line) }
                }
                try await connection.query("COMMIT", logger: logger)
                return lines.joined(separator: "\n")
            }
        }
    }
}

/// The first of an operation's result and its deadline, delivered once.
private final class Outcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var delivered = false
    private var pending: Result<T, any Error>?
    var continuation: CheckedContinuation<T, any Error>? {
        didSet { lock.withLock { deliverIfReady() } }
    }
    var timer: Task<Void, Never>?

    func finish(_ result: Result<T, any Error>) {
        lock.withLock {
            guard !delivered, pending == nil else { return }
            pending = result
            deliverIfReady()
        }
    }

    /// Called with the lock held.
    private func deliverIfReady() {
        guard !delivered, let pending, let continuation else { return }
        delivered = true
        timer?.cancel()
        continuation.resume(with: pending)
    }
}
