// All of it is for swift-testing, which `swift build` of the package without its tests does not find.
#if canImport(Testing)
import Foundation
public import Testing

/// Runs tests that block (waiting for child processes, sleeping, blocking sockets) on threads
/// of their own instead of Swift's cooperative pool.
///
/// The pool has one thread per core, two here. A test that waits for a child process holds its
/// thread the whole time; two such tests hold the pool, and every other test's awaits (an
/// in-process server's handlers, database clients, timers) wait behind them until their own
/// deadlines pass. Marked `@Suite(.ownThreads)`, each test of a suite runs on a thread made for
/// it, at most ``width`` at once (as many as the pool would have run), so the pool stays free.
public struct OwnThreads: SuiteTrait, TestTrait, TestScoping {
    /// How many marked tests run at once.
    public static let width = max(2, ProcessInfo.processInfo.activeProcessorCount)

    public var isRecursive: Bool { true }

    /// Only test cases are wrapped: a suite's own scope has nothing that blocks.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await Self.slots.withSlot {
            try await Self.run { try await function() }
        }
    }

    /// Runs `body` with every step on a thread made for it: blocking calls inside it leave the
    /// cooperative pool alone. Task-local values (the current test) are kept.
    public static func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        // A child task starts on its preferred executor, and task-local values pass to it. The
        // group ends before this returns, so `body` does not outlive the call.
        try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: T.self) { group in
                group.addTask(executorPreference: ThreadPerJobExecutor.shared) { try await body() }
                return try await group.next()!
            }
        }
    }

    private static let slots = Slots(width: width)

    /// Whether the caller runs on one of the threads made for marked tests.
    public static var isOnOwnThread: Bool { pthread_getspecific(marker) != nil }

    /// The key whose value is set on every thread made for marked tests.
    static let marker: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}

extension Trait where Self == OwnThreads {
    /// Runs each test of the suite on a thread of its own; see ``OwnThreads``.
    public static var ownThreads: Self { OwnThreads() }
}

/// Runs every job it is given on a new thread.
final class ThreadPerJobExecutor: TaskExecutor {
    static let shared = ThreadPerJobExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        Thread.detachNewThread {
            // Marked through a thread-specific key: Foundation's name setter can race the thread's
            // start and leave the name inherited from the thread that made it.
            pthread_setspecific(OwnThreads.marker, UnsafeRawPointer(bitPattern: 1))
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

/// At most `width` holders at once; the others wait in order without holding a thread.
public actor Slots {
    private let width: Int
    private var held = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(width: Int) { self.width = width }

    /// Runs `body` once fewer than `width` others hold a slot.
    public nonisolated func withSlot<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }

    private func acquire() async {
        if held < width {
            held += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            held -= 1
        } else {
            // The slot passes straight to the next waiter.
            waiting.removeFirst().resume()
        }
    }
}
#endif
