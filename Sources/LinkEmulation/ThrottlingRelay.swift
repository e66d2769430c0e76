import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay on 127.0.0.1 that gives the connections through it a poor link's profile:
/// bandwidth each way, a round trip, and cuts at random bytes. For tests, where the kernel
/// offers no `netem` qdisc to do it on a veth pair (this machine's does not), and for
/// `sync-bench links`.
///
/// Each direction is one link shared by every connection: a chunk read from one side waits for
/// the link to be free, takes `bytes / bytesPerSecond` on it, and is delivered half a round trip
/// after. A cut comes after a number of bytes (both ways) drawn from ``Profile/cutEvery`` by a
/// seeded generator: the chunk that reaches it is delivered up to that byte, then every open
/// connection is shut at once, as a dropped link drops them all; bytes still on the link are
/// lost. New connections are taken at once. The same seed cuts at the same byte counts.
package final class ThrottlingRelay: @unchecked Sendable {
    /// A link's profile.
    package struct Profile: Sendable, CustomStringConvertible {
        package var name: String
        /// Bytes a second, each way.
        package var bytesPerSecond: Double
        /// Seconds for a byte to go and come back (half each way), beyond the time on the link.
        package var roundTrip: Double
        /// Bytes moved (both ways) between two cuts; nil: never cut.
        package var cutEvery: ClosedRange<Int>?
        /// The most cuts the link takes; nil: as many as ``cutEvery`` draws.
        package var cuts: Int?

        package init(name: String, bytesPerSecond: Double, roundTrip: Double, cutEvery: ClosedRange<Int>?, cuts: Int? = nil) {
            self.name = name
            self.bytesPerSecond = bytesPerSecond
            self.roundTrip = roundTrip
            self.cutEvery = cutEvery
            self.cuts = cuts
        }

        package var description: String { name }
    }

    package let profile: Profile
    /// The port it listens on.
    package private(set) var port = 0
    /// `http://127.0.0.1:PORT`.
    package var url: String { "http://127.0.0.1:\(port)" }

    private let target: Int
    private let listener: Int32
    private let lock = NSLock()
    private var random: CutDraws
    private var linkFree: [Double] = [0, 0]
    private var moved = 0
    private var nextCut: Int?
    private var cutsDrawn = 0
    private var open: [ObjectIdentifier: Pipe] = [:]
    private var stopped = false
    private var cutCount = 0

    /// Starts relaying connections to 127.0.0.1:`target`.
    package init(to target: Int, profile: Profile, seed: UInt64) throws {
        self.target = target
        self.profile = profile
        random = CutDraws(seed: seed)
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw RelayError("cannot make a socket") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw RelayError("cannot listen on 127.0.0.1") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        nextCut = Self.firstCut(profile, random: &random)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// The byte count of the first cut `seed` draws for `profile`: where a relay made with them
    /// cuts first.
    package static func firstCut(_ profile: Profile, seed: UInt64) -> Int? {
        var random = CutDraws(seed: seed)
        return firstCut(profile, random: &random)
    }

    private static func firstCut(_ profile: Profile, random: inout CutDraws) -> Int? {
        profile.cutEvery.map { Int.random(in: $0, using: &random) }
    }

    /// How many times the link was cut so far.
    package var cuts: Int { lock.withLock { cutCount } }
    /// Bytes taken onto the link so far, both ways.
    package var bytes: Int { lock.withLock { moved } }

    /// Stops taking connections and shuts every open one.
    package func stop() {
        let (pipes, already) = lock.withLock {
            defer { stopped = true }
            return (Array(open.values), stopped)
        }
        guard !already else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for pipe in pipes { pipe.shut() }
    }

    deinit { stop() }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: target)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(client)
                close(upstream)
                continue
            }
            let pipe = Pipe(client: client, upstream: upstream, relay: self)
            let taken = lock.withLock {
                if stopped { return false }
                open[ObjectIdentifier(pipe)] = pipe
                return true
            }
            guard taken else {
                for _ in 0..<4 { pipe.release() }
                continue
            }
            for direction in 0..<2 {
                let (from, to) = direction == 0 ? (client, upstream) : (upstream, client)
                let queue = Delivery()
                Thread.detachNewThread { [self] in read(from, into: queue, direction: direction, pipe: pipe) }
                Thread.detachNewThread { [self] in deliver(queue, to: to, pipe: pipe) }
            }
        }
    }

    /// Reads what one side sends and puts it on the link toward the other.
    private func read(_ from: Int32, into queue: Delivery, direction: Int, pipe: Pipe) {
        defer { pipe.release() }
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
            guard count > 0 else {
                queue.put(.end)
                return
            }
            let (arrival, taken, cut) = take(count, direction: direction)
            queue.put(.bytes(Array(buffer[0..<taken]), at: arrival))
            if cut {
                queue.put(.cut(at: arrival))
                return
            }
        }
    }

    /// When `count` bytes taken now would arrive, how many of them the link carries before the
    /// next cut, and whether it cuts after them.
    private func take(_ count: Int, direction: Int) -> (arrival: Double, taken: Int, cut: Bool) {
        lock.withLock {
            var taken = count
            var cut = false
            if let next = nextCut, moved + count >= next {
                taken = next - moved
                cut = true
                cutsDrawn += 1
                let more = profile.cuts.map { cutsDrawn < $0 } ?? true
                nextCut = more ? profile.cutEvery.map { next + Int.random(in: $0, using: &random) } : nil
            }
            moved += taken
            let start = max(Self.now(), linkFree[direction])
            linkFree[direction] = start + Double(taken) / profile.bytesPerSecond
            return (linkFree[direction] + profile.roundTrip / 2, taken, cut)
        }
    }

    /// Writes what arrives, each piece at its time; at a cut, shuts every open connection.
    private func deliver(_ queue: Delivery, to: Int32, pipe: Pipe) {
        defer { pipe.release() }
        while true {
            let item = queue.take()
            switch item {
            case .bytes(let data, let arrival):
                Self.sleep(until: arrival)
                var sent = 0
                while sent < data.count {
                    let written = data[sent...].withUnsafeBytes { send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    guard written > 0 else {
                        pipe.shut()
                        return
                    }
                    sent += written
                }
            case .cut(let arrival):
                Self.sleep(until: arrival)
                let pipes = lock.withLock {
                    cutCount += 1
                    return Array(open.values)
                }
                for pipe in pipes { pipe.shut() }
                return
            case .end:
                shutdown(to, Int32(SHUT_WR))
                return
            }
        }
    }

    fileprivate func forget(_ pipe: Pipe) {
        lock.withLock { _ = open.removeValue(forKey: ObjectIdentifier(pipe)) }
    }

    /// One relayed connection: its two sockets, closed once the four threads using them (a
    /// reader and a deliverer each way) are done, so no thread ever reads a closed descriptor
    /// that a new connection has been given.
    final class Pipe: @unchecked Sendable {
        let client: Int32
        let upstream: Int32
        private let lock = NSLock()
        private var users = 4
        private weak var relay: ThrottlingRelay?

        init(client: Int32, upstream: Int32, relay: ThrottlingRelay) {
            self.client = client
            self.upstream = upstream
            self.relay = relay
        }

        /// Shuts both sockets (readers and writers see the link gone); closing waits for them.
        func shut() {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
        }

        func release() {
            let last = lock.withLock {
                users -= 1
                return users == 0
            }
            guard last else { return }
            relay?.forget(self)
            shut()
            close(client)
            close(upstream)
        }
    }

    /// What the link carries toward one side, in order.
    final class Delivery: @unchecked Sendable {
        enum Item {
            case bytes([UInt8], at: Double)
            case cut(at: Double)
            case end
        }

        private let condition = NSCondition()
        private var items: [Item] = []

        func put(_ item: Item) {
            condition.lock()
            items.append(item)
            condition.signal()
            condition.unlock()
        }

        func take() -> Item {
            condition.lock()
            defer { condition.unlock() }
            while items.isEmpty { condition.wait() }
            return items.removeFirst()
        }
    }

    struct RelayError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Seconds on a clock that never jumps.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func sleep(until moment: Double) {
        let wait = moment - now()
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
    }
}

/// The relay's seeded draws (xorshift64*): the same seed cuts at the same bytes.
private struct CutDraws: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        // xorshift stays at zero from zero.
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
