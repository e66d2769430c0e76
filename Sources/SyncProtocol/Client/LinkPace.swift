/// How large each request of a sync may be on the link it runs over, and whether compressing
/// it pays: a pure function of the link as last measured and of the requests timed so far.
///
/// A request is to take at most ``requestSeconds``: a cut then costs at most that page, and
/// the progress line moves. The budget is in ``PageBudget`` units (values as text plus an
/// allowance per version), the units a server bounds a page in; it is the link's rate times
/// the seconds left after a round trip, divided by how many wire bytes a unit has taken so far
/// in this sync (compressed small edits take far fewer than one), which is never taken below
/// ``minimumWirePerUnit``, so a page of prose after a run of small edits stays near the bound.
///
/// The rate is the bytes of this sync's requests over their time beyond a round trip (at most
/// three quarters of each request's time is taken as round trip, so a round trip measured on
/// another link, or a request too small to time, cannot make the link look more than four times
/// as fast as bytes over time), once they have moved ``timedBytes`` in all; before that, the
/// rate the replica last measured, or with none the same sum over what there is; before any
/// request on a link never measured, a page of ``probeBytes``.
public struct LinkPace: Sendable {
    /// The longest a request should take.
    public static let requestSeconds = 20.0
    /// The budget of the first request on a link never measured: 8 s at 64 kbit/s.
    public static let probeBytes = 64 << 10
    /// The smallest budget: a pull page beside a full push, the first page while own writes wait.
    public static let minimumBytes = 4 << 10
    /// Requests moving at least this many bytes in all time the link's rate; a single request
    /// under it is taken as a round trip.
    public static let timedBytes = 8 << 10
    /// The fewest wire bytes a budget unit is taken to cost.
    public static let minimumWirePerUnit = 1.0 / 3
    /// Links at least this fast are not compressed: gzip would take longer than the bytes it saves.
    public static let fastBytesPerSecond = 2_000_000.0

    /// One request as the transport timed it.
    public struct Sample: Sendable, Equatable {
        /// Body bytes on the wire, both ways (compressed where they were).
        public var wire: Int
        /// The ``PageBudget`` units of the versions it carried, both ways.
        public var units: Int
        public var seconds: Double

        public init(wire: Int, units: Int, seconds: Double) {
            self.wire = wire
            self.units = units
            self.seconds = seconds
        }
    }

    /// The rate (bytes a second) and round trip (seconds) the replica last measured.
    public var known: (bytesPerSecond: Double, roundTrip: Double)?
    /// This sync's requests so far.
    public var samples: [Sample] = []

    public init(known: (bytesPerSecond: Double, roundTrip: Double)?, samples: [Sample] = []) {
        self.known = known
        self.samples = samples
    }

    /// The round trip: the shortest untimed request (or the one last measured), 0 if none.
    public var roundTrip: Double {
        [measuredRoundTrip, known?.roundTrip].compactMap { $0 }.min() ?? 0
    }

    /// The shortest of this sync's requests too small to time the link (under ``timedBytes``):
    /// its round trip as this sync measured it; nil when every request moved more.
    public var measuredRoundTrip: Double? {
        samples.filter { $0.wire < Self.timedBytes }.map(\.seconds).min()
    }

    /// Bytes a second, as described above; nil before any request on a link never measured.
    public var bytesPerSecond: Double? {
        let wire = samples.reduce(0) { $0 + $1.wire }
        if let known, wire < Self.timedBytes { return known.bytesPerSecond }
        guard !samples.isEmpty else { return nil }
        let roundTrip = self.roundTrip
        let seconds = samples.reduce(0.0) { $0 + max($1.seconds - roundTrip, $1.seconds / 4, 0.001) }
        return Double(wire) / seconds
    }

    /// Wire bytes per budget unit so far, between ``minimumWirePerUnit`` and 1.
    public var wirePerUnit: Double {
        let carrying = samples.filter { $0.units > 0 }
        let units = carrying.reduce(0) { $0 + $1.units }
        guard units > 0 else { return 1 }
        return min(max(Double(carrying.reduce(0) { $0 + $1.wire }) / Double(units), Self.minimumWirePerUnit), 1)
    }

    /// The next request's budget in ``PageBudget`` units, between ``minimumBytes`` and
    /// ``PageBudget/syncBytes``.
    public var budget: Int {
        guard let rate = bytesPerSecond else { return Self.probeBytes }
        let seconds = max(Self.requestSeconds - roundTrip, 1)
        let units = rate * seconds / wirePerUnit
        return Int(min(max(units, Double(Self.minimumBytes)), Double(PageBudget.syncBytes)))
    }

    /// Whether the next request should ask for (and send) gzip bodies: on a link not known to
    /// be fast.
    public var compresses: Bool {
        guard let rate = bytesPerSecond else { return true }
        return rate < Self.fastBytesPerSecond
    }
}
