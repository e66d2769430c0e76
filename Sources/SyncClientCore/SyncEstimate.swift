import Foundation
import LocalStore
import SyncModel
import SyncProtocol
import SyncHTTP

/// What a sync would move, asked before paying for it (`sync --dry-run`): the server counts the
/// pull (`POST /v1/estimate`, nothing stored), this replica its own push, page by page as the
/// session would send it; the time is at the link speed the last sync measured.
///
/// Bytes are the sync requests' and answers' bodies as they would travel, as `sync --json`
/// reports them (`sentBytes`, `receivedBytes`): gzipped where the sync would gzip them (the
/// server compresses each page it counts; this replica its own pushes), in pages sized to the
/// link the last sync measured (``LinkPace``). HTTP headers, the key lookups after a sync and a
/// conflict report's ids are left out.
package struct SyncEstimate: Encodable, Sendable {
    /// One direction: versions and body bytes.
    package struct Way: Encodable, Sendable, Equatable {
        package var versions: Int
        package var bytes: Int
    }

    package var server: String
    package var send: Way
    package var receive: Way
    package var requests: Int
    /// Seconds at the last measured link speed; nil before a sync measured one.
    package var seconds: Double?
    /// The link speed used: bytes a second and the round trip in seconds.
    package var bytesPerSecond: Double?
    package var roundTrip: Double?
    /// When the speed was measured (ISO 8601 UTC).
    package var measured: String?
    /// The same moment in milliseconds since 1970.
    var measuredAt: Int64?
    /// The server does not honour this replica's feed cursor: a sync would compare whole
    /// vectors, which the estimate does not size.
    package var cursorRefused: Bool

    enum CodingKeys: String, CodingKey { case server, send, receive, requests, seconds, bytesPerSecond, roundTrip, measured, cursorRefused }

    /// Sizes the push `replica` would send and asks the server at `transport` for the pull.
    static func make(replica: Replica, server: String, over transport: HTTPTransport, pageSize: Int) async throws -> SyncEstimate {
        let start = try replica.syncStart()
        let speed = try replica.linkSpeed()
        var transport = transport
        let meter = TransferMeter(known: speed.map { ($0.bytesPerSecond, $0.roundTrip) })
        transport.meter = meter
        let pace = meter.pace
        var session = SyncSession(replica: replica.id, start: start, pushPageSize: pageSize, pullPageSize: pageSize)
        session.pageBytes = pace.budget
        guard case .send(let first) = try session.start() else { throw ClientError("the sync would not start with a request") }
        // Own writes waiting make the first answer a single version (see SyncSession.pageBytes);
        // the server counts the pull in pages of the whole budget, which the pushes then carry.
        let ownFirst = first.pageLimit == 1 && pageSize > 1
        var asked = first
        (asked.pageLimit, asked.pageBytes) = (pageSize, pace.budget)
        let pull = try await transport.estimate(asked)
        // A server that counts gzipped answers also takes gzip requests.
        let gzip = pace.compresses && pull.wireBytes != nil
        let push = try pushPages(replica, first: first, pageSize: pageSize, start: start, budget: PageBudget(maxBytes: pace.budget), gzip: gzip)
        // Each request after the first pushes a page or asks for the next pull page.
        let requests = ownFirst ? 1 + max(push.count, pull.versions > 1 ? pull.answers : 0) : 1 + max(push.count, pull.answers - 1)
        let empty = SyncRequest(replica: first.replica, vector: first.vector, cursor: first.cursor, versions: [], pageLimit: first.pageLimit,
                                access: first.access, pageBytes: first.pageBytes)
        let sent = BinaryWire.encode(first).count + push.reduce(0) { $0 + $1.bytes } + (requests - 1 - push.count) * BinaryWire.encode(empty).count
        // Every answer after the first push carries the server's counters for this replica's
        // ids as the push left them, which the server, asked before it, could not count.
        let grown = push.isEmpty ? 0 : (requests - 1) * (
            BinaryWire.encode(SyncResponse(vector: try replica.counters(of: start.own), versions: [], more: false, cursor: first.cursor)).count
                - BinaryWire.encode(SyncResponse(vector: start.acknowledged, versions: [], more: false, cursor: first.cursor)).count)
        let received = (pull.wireBytes ?? pull.bytes) + max(requests - pull.answers, 0) * (pull.emptyAnswerWireBytes ?? pull.emptyAnswerBytes) + grown
        return SyncEstimate(
            server: server, send: Way(versions: push.reduce(0) { $0 + $1.versions }, bytes: sent), receive: Way(versions: pull.versions, bytes: received),
            requests: requests, seconds: speed?.seconds(requests: requests, bytes: sent + received), bytesPerSecond: speed?.bytesPerSecond,
            roundTrip: speed?.roundTrip, measured: speed.map { TextOutput.isoTime($0.measured) }, measuredAt: speed?.measured,
            cursorRefused: pull.cursorRefused)
    }

    /// The pushes a session would send after `first`: this replica's unacknowledged versions in
    /// pages within `budget`, then the ranges it carries for others; each page's versions and
    /// encoded bytes (gzipped past the threshold when `gzip`).
    static func pushPages(_ replica: Replica, first: SyncRequest, pageSize: Int, start: SyncStart, budget: PageBudget, gzip: Bool) throws -> [Way] {
        func bytes(_ request: SyncRequest) -> Int {
            let body = BinaryWire.encode(request)
            return gzip ? Gzip.onWire(body).count : body.count
        }
        var pages: [Way] = []
        var acknowledged = start.acknowledged
        while true {
            let page = try replica.outgoing(acknowledged: acknowledged, limit: pageSize, ownOnly: first.cursor != nil, budget: budget)
            guard !page.versions.isEmpty else { break }
            let request = SyncRequest(replica: first.replica, vector: page.vector, cursor: first.cursor, versions: page.versions,
                                      pageLimit: first.pageLimit, access: first.access)
            pages.append(Way(versions: page.versions.count, bytes: bytes(request)))
            for version in page.versions { acknowledged.add(version.dot) }
        }
        var sent: Set<SignedRange> = []
        while true {
            let page = try replica.carried(limit: pageSize, budget: budget, excluding: sent)
            guard !page.versions.isEmpty else { break }
            let request = SyncRequest(replica: first.replica, vector: first.vector, cursor: first.cursor, versions: page.versions,
                                      pageLimit: first.pageLimit, signatures: page.signatures, access: first.access)
            pages.append(Way(versions: page.versions.count, bytes: bytes(request)))
            sent.formUnion(page.signatures)
        }
        return pages
    }

    /// What `sync --dry-run` prints.
    package var lines: [String] {
        var lines = [
            "Dry run with \(server): nothing was sent or stored.",
            "  to send     \(send.versions) version\(send.versions == 1 ? "" : "s"), \(Self.bytes(send.bytes))",
            "  to receive  \(receive.versions) version\(receive.versions == 1 ? "" : "s"), \(Self.bytes(receive.bytes))",
        ]
        if let seconds, let bytesPerSecond, let roundTrip, let measuredAt {
            lines.append(String(format: "  about %@ in %d request%@, at the link the last sync measured (%@/s, %.0f ms round trip, %@)",
                                Self.duration(seconds), requests, requests == 1 ? "" : "s", Self.bytes(Int(bytesPerSecond)), roundTrip * 1000,
                                TextOutput.humanTime(measuredAt)))
        } else {
            lines.append("  in \(requests) request\(requests == 1 ? "" : "s"); no link speed measured yet: the next sync measures it")
        }
        if cursorRefused {
            lines.append("  note: the server does not know this replica's place in its feed (restored from a backup, or another server); the sync compares whole version vectors, and may receive more than this says")
        }
        return lines
    }

    /// `812 bytes`, `12.3 KB`, `4.1 MB` (powers of 1,000).
    static func bytes(_ count: Int) -> String {
        if count < 1_000 { return "\(count) bytes" }
        if count < 1_000_000 { return String(format: "%.1f KB", Double(count) / 1_000) }
        return String(format: "%.1f MB", Double(count) / 1_000_000)
    }

    /// `under 0.1 s`, `0.4 s`, `12 s`, `3 min 20 s`, `2 h 5 min`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 0.1 { return "under 0.1 s" }
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }
}
