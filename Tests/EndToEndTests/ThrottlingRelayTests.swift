import Foundation
import LinkEmulation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// The link emulator itself: bytes arrive whole, in order and no faster than the profile lets
/// them, and a cut comes at the byte its seed drew.
@Suite(.serialized, .ownThreads) struct ThrottlingRelayTests {
    /// A server on 127.0.0.1 that takes one connection, reads until the other side stops or
    /// `echo` bytes came, sends them back, and reports what it read.
    final class OneShotServer: @unchecked Sendable {
        let port: Int
        private let listener: Int32
        private let done = DispatchSemaphore(value: 0)
        private var received: [UInt8] = []

        init(echo: Int) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            listener = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw HarnessError("cannot listen") }
            port = Int(UInt16(bigEndian: address.sin_port))
            Thread.detachNewThread { [self] in
                let connection = accept(listener, nil, nil)
                var buffer = [UInt8](repeating: 0, count: 4096)
                while received.count < echo {
                    let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                    guard count > 0 else { break }
                    received += buffer[0..<count]
                }
                if received.count == echo { _ = received.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
                close(connection)
                close(listener)
                done.signal()
            }
        }

        /// What it read, once it is done.
        func read() -> [UInt8] {
            done.wait()
            return received
        }
    }

    /// Connects to `port`, sends `data`, and reads until the other side closes.
    static func exchange(_ data: [UInt8], port: Int) throws -> [UInt8] {
        let connection = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(connection) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(connection, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessError("cannot connect") }
        _ = data.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return answer }
            answer += buffer[0..<count]
        }
    }

    @Test func bytesArriveWholeInOrderAndNoFasterThanTheLink() throws {
        let data = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let server = try OneShotServer(echo: data.count)
        let relay = try ThrottlingRelay(to: server.port, profile: .init(name: "100 kB/s, 200 ms", bytesPerSecond: 100_000, roundTrip: 0.2, cutEvery: nil), seed: 1)
        defer { relay.stop() }
        let started = Date()
        let echoed = try Self.exchange(data, port: relay.port)
        let elapsed = Date().timeIntervalSince(started)
        #expect(server.read() == data && echoed == data)
        // 0.2 s on the link each way and half a round trip each way
        #expect(elapsed >= 0.6, "took \(elapsed) s")
        #expect(relay.cuts == 0 && relay.bytes == 2 * data.count)
    }

    @Test(arguments: [11, 12, 13]) func aCutComesAtTheByteItsSeedDrew(seed: UInt64) throws {
        let profile = ThrottlingRelay.Profile(name: "cuts", bytesPerSecond: 1_000_000, roundTrip: 0.01, cutEvery: 1_000...5_000)
        let expected = try #require(ThrottlingRelay.firstCut(profile, seed: seed))
        #expect((1_000...5_000).contains(expected))
        let server = try OneShotServer(echo: 100_000)
        let relay = try ThrottlingRelay(to: server.port, profile: profile, seed: seed)
        defer { relay.stop() }
        let answer = try Self.exchange([UInt8](repeating: 1, count: 10_000), port: relay.port)
        #expect(server.read().count == expected, "seed \(seed)")
        #expect(answer.isEmpty && relay.cuts == 1 && relay.bytes == expected, "seed \(seed)")
    }
}
