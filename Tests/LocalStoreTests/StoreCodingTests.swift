@testable import LocalStore
import SyncModel
import Testing

/// The stored text of clocks: canonical, and read strictly.
@Suite struct StoreCodingTests {
    static let a = ReplicaID("a1a1a1a1-0000-4000-8000-000000000001")!
    static let b = ReplicaID("b2b2b2b2-0000-4000-8000-000000000002")!

    @Test func clocksRoundTripThroughTheirStoredText() throws {
        let vector = VersionVector([Self.b: .max, Self.a: 1])
        let text = StoreCoding.encode(vector)
        #expect(text == "\(Self.a):1,\(Self.b):18446744073709551615")
        #expect(try StoreCoding.decodeVector(text) == vector)
        let dots = [Dot(replica: Self.b, counter: 3), Dot(replica: Self.a, counter: 2)]
        #expect(StoreCoding.encode(dots) == "\(Self.b):3,\(Self.a):2")
        #expect(try StoreCoding.decodeDots(StoreCoding.encode(dots)) == dots)
        #expect(try StoreCoding.decodeDots("").isEmpty && StoreCoding.encode(VersionVector()).isEmpty)
        // Upper-case hex reads as the same id.
        #expect(try StoreCoding.decodeDots("A1A1A1A1-0000-4000-8000-000000000001:5") == [Dot(replica: Self.a, counter: 5)])
    }

    @Test("malformed clock text is refused, never misread", arguments: [
        "x", "a1a1a1a1-0000-4000-8000-000000000001", "a1a1a1a1-0000-4000-8000-000000000001:",
        "a1a1a1a1-0000-4000-8000-000000000001:-1", "a1a1a1a1-0000-4000-8000-000000000001:1x",
        "a1a1a1a1-0000-4000-8000-000000000001:18446744073709551616",
        "a1a1a1a1-0000-4000-8000-000000000001:1,", ",a1a1a1a1-0000-4000-8000-000000000001:1",
        "a1a1a1a1-0000-4000-8000-00000000000g:1", "a1a1a1a1_0000-4000-8000-000000000001:1",
        "a1a1a1a1-0000-4000-8000-0000000000011:1",
    ])
    func malformed(text: String) {
        #expect(throws: StoreError.self) { try StoreCoding.decodeDots(text) }
        #expect(throws: StoreError.self) { try StoreCoding.decodeVector(text) }
    }
}
