import GRDB


/// The link as the last measured sync found it: what `sync --dry-run` turns bytes into time with.
public struct LinkSpeed: Sendable, Equatable {
    /// Bytes a second the request and answer bodies moved at, beyond the round trips.
    public var bytesPerSecond: Double
    /// The shortest request's time, in seconds: the round trip and the server's own work.
    public var roundTrip: Double
    /// When it was measured (milliseconds since 1970).
    public var measured: Int64

    public init(bytesPerSecond: Double, roundTrip: Double, measured: Int64) {
        self.bytesPerSecond = bytesPerSecond
        self.roundTrip = roundTrip
        self.measured = measured
    }

    /// Seconds to make `requests` requests moving `bytes` in all, at this speed.
    public func seconds(requests: Int, bytes: Int) -> Double {
        Double(requests) * roundTrip + Double(bytes) / bytesPerSecond
    }
}

extension Replica {
    /// The speed the last measured sync found, if any.
    public func linkSpeed() throws -> LinkSpeed? {
        try store.read { db in
            guard let rate = try Meta.get("link_bytes_per_second", db).flatMap(Double.init),
                  let roundTrip = try Meta.get("link_round_trip", db).flatMap(Double.init),
                  let measured = try Meta.get("link_measured", db).flatMap(Int64.init) else { return nil }
            return LinkSpeed(bytesPerSecond: rate, roundTrip: roundTrip, measured: measured)
        }
    }

    /// Keeps `speed` as the link's, replacing the last.
    public func noteLinkSpeed(_ speed: LinkSpeed) throws {
        try store.transaction { db in
            try Meta.set("link_bytes_per_second", String(speed.bytesPerSecond), db)
            try Meta.set("link_round_trip", String(speed.roundTrip), db)
            try Meta.set("link_measured", String(speed.measured), db)
        }
    }
}
