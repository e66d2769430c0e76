// Speed machinery: the bounded queue between that reader and the writer.
import Foundation

/// A bounded queue from one producing thread to one consuming thread, ending with the
/// producer's success or error; either side may stop the other.
final class Handoff<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    // Guarded by `condition`.
    private var items: [Item] = []
    private var end: (any Error)??
    private var cancelled = false

    init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    /// Waits for room and queues `item`; false if the consumer has stopped (the producer should too).
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Ends the stream: `error` is what the producer failed with, nil if it finished.
    func finish(_ error: (any Error)?) {
        condition.lock()
        defer { condition.unlock() }
        end = .some(error)
        condition.broadcast()
    }

    /// Waits for the next item; nil once the producer finished and every item was taken, or the
    /// producer's error.
    func take() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && end == nil { condition.wait() }
        if !items.isEmpty {
            condition.broadcast()
            return items.removeFirst()
        }
        if case .some(.some(let error)) = end { throw error }
        return nil
    }

    /// Stops the producer: its waiting `put` and every later one return false.
    func cancel() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        items.removeAll()
        condition.broadcast()
    }
}
