import Foundation
import SyncProtocol
import Testing

/// gzip bodies through the system's zlib: round trips, and inflation bounded whatever the input.
@Suite struct GzipTests {
    @Test func aBodyRoundTripsAndTextShrinks() throws {
        let text = Data((0..<2_000).map { "edit \($0): the situation as it reads now\n" }.joined().utf8)
        let packed = Gzip.compress(text)
        #expect(packed.count * 5 < text.count, "\(packed.count) of \(text.count)")
        #expect(packed.prefix(2) == Data([0x1f, 0x8b]), "a gzip header")
        #expect(try Gzip.decompress(packed, limit: text.count) == text)
        #expect(try Gzip.decompress(Gzip.compress(Data()), limit: 0) == Data())
    }

    @Test func inflationStopsAtTheLimit() throws {
        // 8 MiB of zeros is about 8 KB of gzip: a bomb for a 1 MiB limit.
        let bomb = Gzip.compress(Data(count: 8 << 20))
        #expect(bomb.count < 10_000)
        #expect(throws: Gzip.Failure.tooLarge(limit: 1 << 20)) { try Gzip.decompress(bomb, limit: 1 << 20) }
        #expect(throws: Gzip.Failure.tooLarge(limit: 99)) { try Gzip.decompress(Gzip.compress(Data(count: 100)), limit: 99) }
    }

    @Test func anythingButOneWholeStreamIsRefused() {
        let whole = Gzip.compress(Data(repeating: 65, count: 5_000))
        for (name, body) in [("not gzip", Data("sync please".utf8)), ("cut short", whole.prefix(whole.count - 6)), ("bytes after it", whole + Data([1, 2, 3])),
                             ("empty", Data())] {
            do {
                _ = try Gzip.decompress(body, limit: 1 << 20)
                Issue.record("\(name) inflated")
            } catch {
                guard case .malformed = error else { Issue.record("\(name): \(error)"); continue }
            }
        }
    }

    @Test func acceptEncodingIsReadAsHTTPWritesIt() {
        for header in ["gzip", "deflate, gzip", "GZIP;q=0.5", "br, *", " gzip ; q=1"] { #expect(Gzip.accepted(by: header), "\(header)") }
        for header in [nil, "", "deflate", "gzip;q=0", "identity", "gzip; q=0.0"] { #expect(!Gzip.accepted(by: header), "\(String(describing: header))") }
    }
}
