import Foundation

/// Counts what a transport's sync requests moved: each request's body bytes each way and its
/// time, from sending to the whole answer read. Shared by the tasks of one sync.
package final class TransferMeter: @unchecked Sendable {
    /// One request: bytes sent, bytes received, seconds.
    package struct Sample: Sendable, Equatable {
        package var sent: Int
        package var received: Int
        package var seconds: Double
    }

    private let lock = NSLock()
    private var recorded: [Sample] = []

    package init() {}

    func record(_ sample: Sample) {
        lock.withLock { recorded.append(sample) }
    }

    /// Every request so far, in the order they ended.
    package var samples: [Sample] { lock.withLock { recorded } }
    /// Body bytes sent so far.
    package var sent: Int { samples.reduce(0) { $0 + $1.sent } }
    /// Body bytes received so far.
    package var received: Int { samples.reduce(0) { $0 + $1.received } }

    /// The link's speed as these requests found it: the shortest request's time is taken as the
    /// round trip, and the bytes moved over the time beyond each request's round trip as the
    /// rate. Nil before any request; a transfer too quick to time (under a millisecond beyond
    /// the round trips) counts as a millisecond, so an estimate is nearly the round trips alone.
    package var speed: (bytesPerSecond: Double, roundTrip: Double)? {
        let samples = self.samples
        guard let roundTrip = samples.map(\.seconds).min() else { return nil }
        let bytes = samples.reduce(0) { $0 + $1.sent + $1.received }
        let transfer = samples.reduce(0.0) { $0 + max($1.seconds - roundTrip, 0) }
        return (Double(max(bytes, 1)) / max(transfer, 0.001), roundTrip)
    }
}
