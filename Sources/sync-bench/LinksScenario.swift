import ArgumentParser
import Foundation
import LinkEmulation
import LocalStore
import SyncServerCore

/// A day's work synced over field links, with the real binaries through ``ThrottlingRelay``.
struct Links: AsyncParsableCommand, Scenario {
    static let configuration = CommandConfiguration(
        commandName: "links",
        abstract: "A day's work of two analysts (each 200 edits across 20 cells and 10 signals) synced both ways over a LAN, 1 Mbit/s with a 300 ms round trip and 64 kbit/s with 600 ms: bytes on the wire, time, gzip's ratio, the largest request, and the bytes a cut mid-sync costs (the real binaries through an emulated link)."
    )
    @Option(help: "Edits per analyst.") var edits = 200
    @Option(help: "Cells per analyst (made first, the edits spread across them).") var cells = 20
    @Option(help: "Signals per analyst.") var signals = 10
    @Option(help: "Seed of the prose written and of the link's cut.") var seed: UInt64 = 47
    @Option(help: "Versions of the history a new analyst joins, shallow and in full, over each link.") var joinVersions = 20_000
    @Option(help: "Cells of that history.") var joinCells = 200

    func validate() throws {
        try require("--join-cells", joinCells, atLeast: 1)
        try require("--join-versions (two or more per cell)", joinVersions, atLeast: 2 * joinCells)
        try require("--edits", edits, atLeast: 1)
        try require("--cells", cells, atLeast: 1)
        try require("--signals", signals, atLeast: 0)
    }

    func run() async throws { try await runAlone() }

    /// A link the benchmark syncs over; no relay profile: straight to the server on 127.0.0.1.
    struct Link {
        var name: String
        var relay: ThrottlingRelay.Profile?
    }

    static let links = [
        Link(name: "LAN (127.0.0.1)", relay: nil),
        Link(name: "1 Mbit/s, 300 ms", relay: .init(name: "1 Mbit/s each way, 300 ms round trip", bytesPerSecond: 125_000, roundTrip: 0.3, cutEvery: nil)),
        Link(name: "64 kbit/s, 600 ms", relay: .init(name: "64 kbit/s each way, 600 ms round trip", bytesPerSecond: 8_000, roundTrip: 0.6, cutEvery: nil)),
    ]

    /// What the syncs of a day's work moved: body bytes on the wire and before gzip, requests,
    /// the largest request (both ways), wall seconds.
    struct Moved {
        var wire = 0, plain = 0, requests = 0, largest = 0
        var seconds = 0.0

        mutating func add(_ sync: [String: Any], seconds: Double) {
            let wire = (sync["sentBytes"] as? Int ?? 0) + (sync["receivedBytes"] as? Int ?? 0)
            self.wire += wire
            plain += sync["uncompressedBytes"] as? Int ?? wire
            requests += sync["requests"] as? Int ?? 0
            largest = max(largest, sync["largestRequestBytes"] as? Int ?? 0)
            self.seconds += seconds
        }
    }

    func run(into table: inout BenchTable) async throws {
        for link in Self.links {
            let day = try dayOfWork(over: link)
            table.add("a day's work both ways, \(link.name)", value: String(format: "%@ B in %.1f s, %d requests, largest %@ B", table.format(Double(day.wire)),
                                                                          day.seconds, day.requests, table.format(Double(day.largest))),
                      target: String(format: "gzip %.2f× (%@ B plain)", Double(day.plain) / Double(day.wire), table.format(Double(day.plain))))
        }
        let cut = try costOfACut(over: Self.links[2])
        table.add("a cut halfway through receiving both days, 64 kbit/s", value: "\(table.format(Double(cut.resent))) B sent again",
                  target: "\(table.format(Double(cut.whole))) B uncut on the link (HTTP included); a cut costs at most one page")
        try await joins(into: &table)
    }

    /// A new analyst's first sync over each link, shallow and in full, of one history (that of
    /// `sync-bench shallow-join`, smaller): through the relay, so the link's time is measured,
    /// not computed. Each join is a fresh replica and one `sync`.
    func joins(into table: inout BenchTable) async throws {
        let history = try await ShallowJoinFigures.server(versions: joinVersions, records: joinCells)
        defer { history.stop() }
        let size = "\(table.format(Double(joinVersions))) versions over \(table.format(Double(joinCells))) cells"
        for link in Self.links {
            let relay = try link.relay.map { try ThrottlingRelay(to: history.server.port, profile: $0, seed: seed) }
            defer { relay?.stop() }
            let folder = try BenchFolder()
            var joins: [ShallowJoinFigures.Join] = []
            for shallow in [true, false] {
                joins.append(try ShallowJoinFigures.join(folder.path(shallow ? "shallow.sqlite" : "full.sqlite"), from: relay?.url ?? history.server.url,
                                                         token: history.token, shallow: shallow))
            }
            let (shallow, full) = (joins[0], joins[1])
            guard full.versions == joinVersions else { throw BenchError("the full join over \(link.name) brought \(full.versions) of \(joinVersions) versions") }
            table.add("a join of \(size), \(link.name): shallow", value: String(format: "%@ B in %.1f s, %d requests, %d versions",
                                                                                   table.format(Double(shallow.bytes)), shallow.seconds, shallow.requests, shallow.versions),
                      target: String(format: "full: %@ B in %.1f s, %d requests; shallow takes %.2f of its time",
                                     table.format(Double(full.bytes)), full.seconds, full.requests, shallow.seconds / full.seconds))
        }
    }

    /// A server on 127.0.0.1 with analysts alice, bob and carol, and a relay to it for `link`.
    final class Site {
        let folder: BenchFolder
        let server: BenchServer
        let relay: ThrottlingRelay?
        let tokens: [String: String]

        init(link: Link, seed: UInt64) throws {
            folder = try BenchFolder()
            let store = try SQLiteServerStore.open(path: folder.path("server.sqlite"))
            var tokens: [String: String] = [:]
            for name in ["alice", "bob", "carol"] {
                let token = TokenHasher.makeToken(analyst: name)
                try store.addAnalyst(name: name, tokenHash: TokenHasher.hash(token), at: 0)
                tokens[name] = token
            }
            try store.close()
            self.tokens = tokens
            server = try BenchServer(database: folder.path("server.sqlite"))
            relay = try link.relay.map { [server] in try ThrottlingRelay(to: server.port, profile: $0, seed: seed) }
        }

        /// Where the clients sync: the relay, or the server itself.
        var url: String { relay?.url ?? server.url }

        /// A new replica of `name`, made with `init` against the server.
        func replica(_ name: String) throws -> String {
            let path = folder.path("\(name).sqlite")
            _ = try runTimed("sync-client", ["init", "--replica", path, "--server", server.url, "--token", tokens[name]!])
            return path
        }

        /// `sync --json` of `replica` over the link; its answer and wall time.
        func sync(_ replica: String, extra: [String] = []) throws -> (answer: [String: Any], seconds: Double) {
            try syncJSON(["--server", url, "--replica", replica] + extra)
        }

        func stop() {
            relay?.stop()
            server.stop()
        }
    }

    /// Alice and bob each write a day's work offline, then sync in turn over `link` (alice sends,
    /// bob sends and receives, alice receives); both end with every version.
    func dayOfWork(over link: Link) throws -> Moved {
        let site = try Site(link: link, seed: seed)
        defer { site.stop() }
        let (alice, bob) = (try site.replica("alice"), try site.replica("bob"))
        // A first sync over the same link binds each replica and measures the link, as the
        // laptop's last sync in the field would have.
        for replica in [alice, bob] { _ = try site.sync(replica) }
        try write(alice, first: 1)
        try write(bob, first: cells + 1)
        var moved = Moved()
        for replica in [alice, bob, alice] {
            let sync = try site.sync(replica)
            moved.add(sync.answer, seconds: sync.seconds)
        }
        let counts = try [alice, bob].map(CompartmentBench.heldVersions)
        guard counts[0] == counts[1], counts[0] > 2 * edits else { throw BenchError("the day's work did not converge over \(link.name): \(counts)") }
        return moved
    }

    /// The bytes a cut halfway through a sync costs over `link`: carol's first sync (both days
    /// of work) uncut, then from a copy of her file with one cut at half those bytes (the sync
    /// retries within itself, and is run again if the cut came before any answer, as an analyst
    /// would); the difference of the link's bytes is what was sent again.
    func costOfACut(over link: Link) throws -> (whole: Int, resent: Int) {
        let site = try Site(link: Link(name: link.name, relay: nil), seed: seed)
        defer { site.stop() }
        let (alice, bob) = (try site.replica("alice"), try site.replica("bob"))
        try write(alice, first: 1)
        try write(bob, first: cells + 1)
        for replica in [alice, bob] { _ = try site.sync(replica) }
        let carol = try site.replica("carol")
        let copy = site.folder.path("carol-copy.sqlite")
        try FileManager.default.copyItem(atPath: carol, toPath: copy)
        let port = site.server.port
        guard var profile = link.relay else { throw BenchError("a cut needs an emulated link") }
        let whole = try ThrottlingRelay(to: port, profile: profile, seed: seed)
        defer { whole.stop() }
        _ = try runTimed("sync-client", ["sync", "--server", whole.url, "--replica", carol])
        let uncut = whole.bytes
        (profile.cutEvery, profile.cuts) = (uncut / 2...uncut / 2, 1)
        let once = try ThrottlingRelay(to: port, profile: profile, seed: seed)
        defer { once.stop() }
        for attempt in 1...3 {
            let run = try runTimed("sync-client", ["sync", "--server", once.url, "--replica", copy], allowFailure: true)
            if run.output.hasPrefix("Synced") { break }
            guard attempt < 3 else { throw BenchError("the cut sync did not end well when run again: \(run.output)") }
        }
        guard once.cuts == 1 else { throw BenchError("the link was not cut (\(once.cuts) cuts)") }
        return (uncut, once.bytes - uncut)
    }

    /// A day's work on `replica`: cells `first...`, `edits` edits across them (prose and
    /// registers), `signals` signals.
    func write(_ replica: String, first: Int) throws {
        var random = BenchRandom(seed: seed &+ UInt64(first))
        let numbers = first..<(first + cells)
        for number in numbers {
            _ = try runTimed("sync-client", ["cell", "create", "--number", "\(number)", "--title", "Cell \(number): " + Self.prose(6, &random),
                                             "--replica", replica])
        }
        let fields = ["assessment", "trend", "crosswinds", "problemStatement", "strategicLogic"]
        for edit in 0..<edits {
            let field = fields[edit % fields.count]
            let value = field == "trend" ? Self.prose(4, &random) : Self.prose(Int.random(in: 30...90, using: &random), &random)
            _ = try runTimed("sync-client", ["cell", "set", "\(numbers.lowerBound + edit % cells)", field, value, "--replica", replica])
        }
        for signal in 0..<signals {
            _ = try runTimed("sync-client", ["signal", "add", "--title", Self.prose(8, &random), "--date", "2026-02-\(10 + signal % 18)",
                                             "--cell", "\(numbers.lowerBound + signal % cells)", "--replica", replica])
        }
    }

    /// `count` words of an analyst's vocabulary, drawn by `random`: prose that gzip shrinks
    /// about as far as real assessments.
    static func prose(_ count: Int, _ random: inout BenchRandom) -> String {
        (0..<count).map { _ in vocabulary[Int.random(in: 0..<vocabulary.count, using: &random)] }.joined(separator: " ")
    }

    static let vocabulary = """
        alliance allies ambiguity assessment basing bilateral burden capability coalition commitment communiqué consensus \
        constraint cooperation credibility crisis deterrence diplomacy doctrine drift economic election escalation exercise \
        export financing forces framework funding guarantee hedging industrial influence infrastructure initiative integration \
        intelligence interoperability leadership leverage logistics maritime ministerial mobilisation negotiation northern \
        obligation offensive partnership pledge posture presence procurement readiness reassurance reform regional resilience \
        restraint rhetoric sanctions security signal sovereignty strategy summit supply support tension trajectory treaty \
        troops uncertainty unity verification vulnerability warning withdrawal the of and to in a is that for on with as by \
        not but this which will has have its their more than would could should may after before while
        """.split(separator: " ").map(String.init)
}
