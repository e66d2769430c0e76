import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes bytes to 127.0.0.1:`port` exactly as given and reads the answer until the server
/// closes or a complete response has arrived: for requests no HTTP client would frame so.
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// It blocks its thread until the answer or the timeout: call it through `OwnThreads.run`
    /// when the server is in this process. The timeout is generous: the whole suite runs in
    /// parallel on two cores, and a server starved for seconds must not read as one that never answered.
    static func exchange(_ request: String, port: Int, timeoutSeconds: Int = 60) throws -> String {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect: \(String(cString: strerror(errno)))") }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // The server may answer and close before the whole request is sent.
            if written <= 0 { break }
            sent += written
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let started = ContinuousClock.now
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                // A reset or a timeout, not a close: say which, and what had arrived.
                let reason = String(cString: strerror(errno))
                throw Failure(description: "recv after \(ContinuousClock.now - started): \(reason); \(answer.count) bytes had arrived: \(String(decoding: answer.prefix(80), as: UTF8.self))")
            }
            if count == 0 { break }
            answer += buffer[0..<count]
            if let text = String(bytes: answer, encoding: .utf8), isComplete(text) { break }
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// A head and as many body bytes as its Content-Length says.
    private static func isComplete(_ text: String) -> Bool {
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
              let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else { return false }
        return text[end.upperBound...].utf8.count >= length
    }
}
