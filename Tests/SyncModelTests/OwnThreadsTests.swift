import Testing
import TestSupport

/// Tests that block must leave Swift's cooperative pool to the tests that await.
@Suite(.ownThreads) struct OwnThreadsTests {
    @Test func aMarkedSuitesTestsRunOnThreadsOfTheirOwn() {
        #expect(OwnThreads.isOnOwnThread)
    }

    @Test func blockingWorkRunsOffThePoolAndKeepsItsResult() async throws {
        let own = try await OwnThreads.run { OwnThreads.isOnOwnThread }
        #expect(own)
    }
}

/// The marker tells the two apart: an unmarked test runs on the pool.
@Suite struct PoolThreadTests {
    @Test func anUnmarkedTestRunsOnThePool() async {
        #expect(!OwnThreads.isOnOwnThread)
    }
}
