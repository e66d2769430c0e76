public import Foundation
import CZlib

/// gzip bodies on the sync wire (`Content-Encoding: gzip`), through the system's zlib.
///
/// A peer compresses only what the other said it reads: a client that sends
/// `Accept-Encoding: gzip` may get a gzip answer, and a server that answers with
/// `Accept-Encoding: gzip` takes gzip requests (RFC 7694), so a peer that says neither is sent
/// plain bodies. Bodies under ``threshold`` always go plain: gzip's 18 bytes of frame and the
/// time would cost more than they save.
public enum Gzip {
    /// The content coding's name in HTTP headers.
    public static let name = "gzip"
    /// Bodies shorter than this go plain.
    public static let threshold = 1_024

    /// Why a body could not be inflated.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// It inflates to more than the limit: a bomb, or more than the receiver takes.
        case tooLarge(limit: Int)
        /// It is not a whole gzip stream.
        case malformed(String)

        public var description: String {
            switch self {
            case .tooLarge(let limit): return "it inflates to more than \(limit) bytes"
            case .malformed(let reason): return reason
            }
        }
    }

    /// Whether a body of `count` bytes is worth compressing (``threshold`` or more).
    public static func pays(_ count: Int) -> Bool { count >= threshold }

    /// `body` as it travels to a peer that reads gzip: compressed when it ``pays(_:)``.
    public static func onWire(_ body: Data) -> Data {
        pays(body.count) ? compress(body) : body
    }

    /// Whether an `Accept-Encoding` header's value lists gzip (or `*`) without `q=0`.
    public static func accepted(by header: String?) -> Bool {
        guard let header else { return false }
        for item in header.lowercased().split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let coding = parts.first, coding == name || coding == "*" else { continue }
            let refused = parts.dropFirst().contains { parameter in
                parameter.hasPrefix("q=") && Double(parameter.dropFirst(2)) == 0
            }
            if !refused { return true }
        }
        return false
    }

    /// `data` as one gzip stream (zlib level 6, its default).
    public static func compress(_ data: Data) -> Data {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
        guard deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            preconditionFailure("zlib could not start a deflate stream")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))))
        let written: Int = data.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(out.count)
                // deflateBound guarantees one call finishes the stream.
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "zlib did not finish a deflate stream within its own bound")
                return Int(stream.total_out)
            }
        }
        return Data(output.prefix(written))
    }

    /// The bytes a gzip stream inflates to, refusing to produce more than `limit`: the memory a
    /// hostile body can take is bounded by the limit, whatever its ratio.
    /// - Throws: ``Failure/tooLarge(limit:)`` past the limit, ``Failure/malformed(_:)`` for
    ///   anything but one whole gzip stream.
    public static func decompress(_ data: some ContiguousBytes, limit: Int) throws(Failure) -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .malformed("zlib could not start an inflate stream")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let result: Result<Void, Failure> = data.withUnsafeBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBytes { out -> (Int32, Int) in
                    stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                guard output.count + produced <= limit else { return .failure(.tooLarge(limit: limit)) }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    return stream.avail_in == 0 ? .success(()) : .failure(.malformed("bytes follow the end of the gzip stream"))
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    return .failure(.malformed("the gzip stream ends early"))
                default:
                    return .failure(.malformed(stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"))
                }
            }
        }
        try result.get()
        return output
    }
}
