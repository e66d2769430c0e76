import Foundation
package import SyncProtocol

/// Counts what a transport's sync requests moved: each request's body bytes each way and its
/// time, from sending to the whole answer read; and what it learnt of the server's codings.
/// Shared by the tasks of one sync.
package final class TransferMeter: @unchecked Sendable {
    /// One request: body bytes sent and received as they travelled (compressed where they
    /// were), the same before compression, the ``PageBudget`` units of its versions both ways,
    /// and seconds.
    package struct Sample: Sendable, Equatable {
        package var sent: Int
        package var received: Int
        package var seconds: Double
        package var plainSent: Int
        package var plainReceived: Int
        package var units: Int

        package init(sent: Int, received: Int, seconds: Double, plainSent: Int? = nil, plainReceived: Int? = nil, units: Int = 0) {
            self.sent = sent
            self.received = received
            self.seconds = seconds
            self.plainSent = plainSent ?? sent
            self.plainReceived = plainReceived ?? received
            self.units = units
        }
    }

    private let lock = NSLock()
    private var recorded: [Sample] = []
    private var takesGzip = false
    /// The link as the replica last measured it (bytes a second, round trip), the pace's start.
    let known: (bytesPerSecond: Double, roundTrip: Double)?

    package init(known: (bytesPerSecond: Double, roundTrip: Double)? = nil) {
        self.known = known
    }

    func record(_ sample: Sample) {
        lock.withLock { recorded.append(sample) }
    }

    /// Every request so far, in the order they ended.
    package var samples: [Sample] { lock.withLock { recorded } }
    /// Body bytes sent so far, as they travelled.
    package var sent: Int { samples.reduce(0) { $0 + $1.sent } }
    /// Body bytes received so far, as they travelled.
    package var received: Int { samples.reduce(0) { $0 + $1.received } }
    /// Body bytes both ways before compression.
    package var uncompressed: Int { samples.reduce(0) { $0 + $1.plainSent + $1.plainReceived } }
    /// The most body bytes one request moved, both ways, as they travelled.
    package var largestRequest: Int { samples.map { $0.sent + $0.received }.max() ?? 0 }

    /// Whether the server said (`Accept-Encoding` on an answer) that it takes gzip requests.
    package var serverTakesGzip: Bool { lock.withLock { takesGzip } }

    func noteServerTakesGzip() {
        lock.withLock { takesGzip = true }
    }

    /// The link's pace from the last measurement and this sync's requests so far: the next
    /// request's budget and whether to compress it.
    package var pace: LinkPace {
        LinkPace(known: known, samples: samples.map { LinkPace.Sample(wire: $0.sent + $0.received, units: $0.units, seconds: $0.seconds) })
    }
}
