import SyncProtocol

/// The waits parked on this server (`POST /v1/wait`), and what wakes them.
///
/// A parked wait is a continuation in this actor's dictionary: no thread, no task of its own and
/// no database connection. ``notify()`` wakes every parked wait to look at the store again;
/// each then parks once more unless what it found is for its analyst. A wait checks the store
/// after it is admitted and before it parks, and parks only if nothing was notified since that
/// check began (``generation``), so a commit made between two requests is never missed.
/// Deadlines are kept here and ended by ``expire(now:)``, which the server's change watch calls
/// on every tick: one timer for all waits.
package actor WaitRegistry {
    /// How a parked wait ended.
    package enum Wake: Sendable, Equatable {
        /// Something was committed: look at the store again.
        case notified
        /// The wait's deadline passed.
        case expired
        /// The server is shutting down, or the request was cancelled.
        case ended
    }

    /// An admitted wait, counted against the limits until ``release(_:)``.
    package struct Ticket: Sendable, Hashable {
        let id: UInt64
        let analyst: String
    }

    private struct Parked {
        var continuation: CheckedContinuation<Wake, Never>
        var deadline: ContinuousClock.Instant
    }

    private let limits: ServerLimits
    private var nextID: UInt64 = 0
    private var admitted: [String: Int] = [:]
    private var total = 0
    private var parked: [UInt64: Parked] = [:]
    private var closing = false
    /// Grows at every ``notify()``.
    package private(set) var generation: UInt64 = 0

    package init(limits: ServerLimits) {
        self.limits = limits
    }

    /// Admits a wait of `analyst`, within the limits.
    /// - Throws: ``APIError`` 429 `too_many_waits` past the analyst's limit, 503 `server_busy`
    ///   past the server's or while it shuts down.
    package func admit(analyst: String) throws -> Ticket {
        if closing { throw APIError(.serverBusy, "the server is shutting down; wait a few seconds and sync again") }
        guard admitted[analyst, default: 0] < limits.maxWaitsPerAnalyst else {
            throw APIError(.tooManyWaits, "analyst \(analyst) already has \(limits.maxWaitsPerAnalyst) waits open on this server (its --max-waits-per-analyst); stop a watching replica or dashboard, or wait for one to end")
        }
        guard total < limits.maxWaits else {
            throw APIError(.serverBusy, "the server holds \(limits.maxWaits) waits, its limit (--max-waits); try again in a minute")
        }
        admitted[analyst, default: 0] += 1
        total += 1
        nextID += 1
        return Ticket(id: nextID, analyst: analyst)
    }

    /// Ends `ticket`'s count against the limits.
    package func release(_ ticket: Ticket) {
        if let parked = parked.removeValue(forKey: ticket.id) { parked.continuation.resume(returning: .ended) }
        admitted[ticket.analyst, default: 1] -= 1
        if admitted[ticket.analyst] == 0 { admitted[ticket.analyst] = nil }
        total -= 1
    }

    /// Parks `ticket` until a ``notify()`` after `seen`, its `deadline`, or shutdown; returns at
    /// once with ``Wake/notified`` if a notify already came after `seen`.
    package func park(_ ticket: Ticket, after seen: UInt64, until deadline: ContinuousClock.Instant) async -> Wake {
        if closing { return .ended }
        if generation != seen { return .notified }
        if deadline <= .now { return .expired }
        return await withCheckedContinuation { continuation in
            parked[ticket.id] = Parked(continuation: continuation, deadline: deadline)
        }
    }

    /// Wakes `ticket` if it is parked (its request was cancelled).
    package func cancel(_ ticket: Ticket) {
        parked.removeValue(forKey: ticket.id)?.continuation.resume(returning: .ended)
    }

    /// Something was committed: every parked wait looks at the store again.
    package func notify() {
        generation &+= 1
        let woken = parked
        parked.removeAll(keepingCapacity: true)
        for wait in woken.values { wait.continuation.resume(returning: .notified) }
    }

    /// Ends the waits whose deadline has passed.
    package func expire(now: ContinuousClock.Instant) {
        for (id, wait) in parked where wait.deadline <= now {
            parked[id] = nil
            wait.continuation.resume(returning: .expired)
        }
    }

    /// Ends every parked wait and refuses new ones: the server is shutting down.
    package func shutdown() {
        closing = true
        let ended = parked
        parked.removeAll()
        for wait in ended.values { wait.continuation.resume(returning: .ended) }
    }

    /// How many waits are admitted (parked or looking at the store), for metrics and tests.
    package var count: Int { total }
}
