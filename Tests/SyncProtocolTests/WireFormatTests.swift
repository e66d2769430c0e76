import Foundation
import LocalStore
import SyncModel
import SyncProtocol
import Testing

/// Golden encodings: the wire format is an interface between releases and must not drift.
@Suite struct WireFormatTests {
    static let replica = ReplicaID("0a0a0a0a-0000-4000-8000-000000000001")!
    static let record = RecordID("0b0b0b0b-0000-4000-8000-000000000002")!

    static let request = SyncRequest(
        replica: replica,
        vector: VersionVector([replica: 2]),
        cursor: FeedCursor(seq: 7, chain: 0x1F2E_3D4C_5B6A_7988),
        versions: [Version(dot: Dot(replica: replica, counter: 2), context: VersionVector([replica: 1]), record: record,
                           kind: "cell", field: "relatedCells", value: .list(["16", "17"]), author: "alice", time: 1_771_372_800_000)],
        pageLimit: 500
    )

    static let golden = #"{"cursor":{"chain":"1f2e3d4c5b6a7988","seq":7},"pageLimit":500,"protocolVersion":2,"replica":"0a0a0a0a-0000-4000-8000-000000000001","vector":{"0a0a0a0a-0000-4000-8000-000000000001":2},"versions":[{"author":"alice","context":{"0a0a0a0a-0000-4000-8000-000000000001":1},"dot":{"counter":2,"replica":"0a0a0a0a-0000-4000-8000-000000000001"},"field":"relatedCells","kind":"cell","record":"0b0b0b0b-0000-4000-8000-000000000002","time":1771372800000,"value":["16","17"]}]}"#

    @Test func aSyncRequestEncodesToTheGoldenBytes() {
        #expect(String(decoding: WireProtocol.encode(Self.request), as: UTF8.self) == Self.golden)
    }

    @Test func theGoldenBytesDecodeToTheSameRequest() throws {
        #expect(try JSONDecoder().decode(SyncRequest.self, from: Data(Self.golden.utf8)) == Self.request)
    }

    @Test func aConflictReportTravelsAsTwoOptionalListsOfIds() throws {
        var request = Self.request
        request.conflicts = ConflictReport(opened: [ConflictID("0123456789abcdef")!], resolved: [ConflictID("fedcba9876543210")!])
        let text = String(decoding: WireProtocol.encode(request), as: UTF8.self)
        #expect(text.hasPrefix(#"{"conflictsOpened":["0123456789abcdef"],"conflictsResolved":["fedcba9876543210"],"cursor":"#))
        #expect(try JSONDecoder().decode(SyncRequest.self, from: Data(text.utf8)) == request)
        // Only one list, as a replica that resolved what it had reported sends.
        request.conflicts = ConflictReport(resolved: [ConflictID("fedcba9876543210")!])
        #expect(!String(decoding: WireProtocol.encode(request), as: UTF8.self).contains("conflictsOpened"))
        let malformed = Self.golden.replacingOccurrences(of: #"{"cursor""#, with: #"{"conflictsOpened":["not an id"],"cursor""#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SyncRequest.self, from: Data(malformed.utf8)) }
    }

    @Test func errorsCarryACodeAMessageAndTheProtocolVersion() {
        let text = String(decoding: WireProtocol.encode(ErrorResponse(code: .counterGap, message: "m")), as: UTF8.self)
        #expect(text == #"{"error":{"code":"counter_gap","message":"m"},"protocolVersion":2}"#)
    }
}
