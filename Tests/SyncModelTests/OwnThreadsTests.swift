import Foundation
import Testing
import TestSupport

/// Tests that block must leave Swift's cooperative pool to the tests that await.
@Suite(.ownThreads) struct OwnThreadsTests {
    @Test func aMarkedSuitesTestsRunOnThreadsOfTheirOwn() {
        #expect(Self.threadName() == OwnThreads.threadName)
    }

    @Test func blockingWorkRunsOffThePoolAndKeepsItsResult() async throws {
        let name = try await OwnThreads.run { Self.threadName() }
        #expect(name == OwnThreads.threadName)
    }

    /// The name of the thread running the caller.
    static func threadName() -> String? { Thread.current.name }
}
