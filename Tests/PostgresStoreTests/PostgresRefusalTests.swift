import Foundation
import PostgresStore
import SyncProtocol
import Testing
import TestSupport
import ThrowawayPostgres

/// PostgreSQL's final answers reported at once, in its own words, and an unreachable database
/// seen at once by the readiness check: only a database that does not answer waits for the
/// 30 s deadline.
@Suite struct PostgresRefusalTests {
    /// `url` with its user or database replaced.
    static func url(_ url: String, user: String? = nil, database: String? = nil) throws -> String {
        var components = try #require(URLComponents(string: url))
        if let user { components.user = user }
        if let database { components.path = "/" + database }
        return try #require(components.string)
    }

    @Test(arguments: [
        (user: "nobody", database: nil, words: #"FATAL: role "nobody" does not exist (SQLSTATE 28000)"#),
        (user: nil, database: "no_such_database", words: #"FATAL: database "no_such_database" does not exist (SQLSTATE 3D000)"#),
    ] as [(user: String?, database: String?, words: String)])
    func aRoleOrDatabaseThatDoesNotExistIsReportedAtOnceInPostgresWords(user: String?, database: String?, words: String) async throws {
        let good = try await PostgresCluster.shared().makeDatabase()
        let location = try PostgresLocation(url: try Self.url(good, user: user, database: database))
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresStoreError.self) { _ = try await PostgresServerStore.connect(location) }
        // Well under the 30 s deadline even when the whole suite loads the machine.
        #expect(ContinuousClock.now - started < .seconds(25), "reported at once, not after the 30 s deadline")
        #expect(error == .refused(words), "\(String(describing: error))")
        #expect(error?.description.hasPrefix("PostgreSQL refused: \(words); nothing was changed. Check the user, password and database in the URL") == true)
    }

    @Test func theReadinessCheckFailsAtOnceWhileTheDatabaseIsStopped() async throws {
        let cluster = try await OwnThreads.run { try PostgresCluster.start(durable: false) }
        let url = try await cluster.makeDatabase()
        let store = try await PostgresServerStore.connect(try PostgresLocation(url: url))
        defer { store.close() }
        try await store.checkReachable()
        try await OwnThreads.run { try cluster.stop() }
        let started = ContinuousClock.now
        let error = await #expect(throws: PostgresStoreError.self) { try await store.checkReachable() }
        #expect(ContinuousClock.now - started < .seconds(25), "reported at once, not after the 30 s deadline")
        #expect(error?.code == .storeUnavailable)
        #expect(error?.description.hasPrefix("the PostgreSQL database is unavailable (") == true, "\(String(describing: error))")
    }
}
