import GRDBSQLite
@testable import LocalStore
import SyncModel
import Testing

@Suite struct SQLiteConfigurationTests {
    /// Whether the configuration took effect depends on whether this process opened SQLite
    /// before any store did (tests run in any order); what it reports must be what SQLite does.
    @Test func configuringSQLiteReportsWhetherItsMemoryStatisticsAreOff() throws {
        let tookEffect = Store.configureSQLite()
        let replica = try makeEmptyTestReplica()
        try replica.write([change("title", .text("Counted or not"))], at: 1)
        // With statistics off SQLite counts no memory in use; on, it counts at least this store's.
        #expect((sqlite3_memory_used() == 0) == tookEffect, "took effect: \(tookEffect), in use: \(sqlite3_memory_used())")
        #expect(Store.configureSQLite() == tookEffect, "a second call reports the first call's outcome")
    }
}
