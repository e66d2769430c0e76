import Foundation
import SyncModel

/// The optional parts of a binary request (tagged sections after the versions, each at most
/// once, in tag order) and an answer's access part.
extension BinaryWire {
    /// The optional parts of a request, each at most once, in this order.
    enum Section: UInt8 {
        case publicKey = 1, signatures = 2, conflicts = 3
        /// The access cursor: two varints, in every request of a current client.
        case access = 10
        /// The rarer access parts (a request's homes, backfill and shallow page; an answer's update,
        /// compartments, backfill position and shallow page): small, so carried as JSON rather than given
        /// their own encoding.
        case accessParts = 11
        /// The byte budget of the answer's page (``SyncRequest/pageBytes``): one varint.
        case pageBytes = 12
    }

    struct RequestAccess: Codable {
        var homes: [Placement]?
        var backfill: Backfill?
        var withdrawn: [Dot]?
        var shallow: ShallowRequest?
    }

    struct ResponseAccess: Codable {
        var access: AccessUpdate?
        var compartments: [Placement]?
        var backfilled: UInt64?
        var shallow: ShallowAnswer?
    }

    static func writeJSON(_ part: some Encodable, _ writer: inout BinaryWriter) {
        let data = WireProtocol.encode(part)
        writer.varint(UInt64(data.count))
        writer.bytes(Array(data))
    }

    static func readJSON<T: Decodable>(_ type: T.Type, _ reader: inout BinaryReader) throws -> T {
        let bytes = try reader.bytes(try reader.count(minimumBytesEach: 1))
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw BinaryWireError("a malformed access section")
        }
    }

    /// The opened ids, then the resolved ones: each list a count, then each id's 8 bytes
    /// (its 16 hex digits, most significant first).
    static func writeConflicts(_ report: ConflictReport, _ writer: inout BinaryWriter) {
        for ids in [report.opened, report.resolved] {
            writer.varint(UInt64(ids.count))
            for id in ids {
                // A ConflictID is 16 hex digits by construction.
                let bits = UInt64(id.rawValue, radix: 16)!
                for shift in stride(from: 56, through: 0, by: -8) { writer.byte(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
            }
        }
    }

    static func readConflicts(_ reader: inout BinaryReader) throws -> ConflictReport {
        var lists: [[ConflictID]] = []
        for _ in 0..<2 {
            var ids: [ConflictID] = []
            for _ in 0..<(try reader.count(minimumBytesEach: 8)) {
                let bits = try reader.bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let digits = String(bits, radix: 16)
                // Any 8 bytes spell a valid id.
                ids.append(ConflictID(String(repeating: "0", count: 16 - digits.count) + digits)!)
            }
            lists.append(ids)
        }
        return ConflictReport(opened: lists[0], resolved: lists[1])
    }

    /// A count, then each range's replica (16 bytes), first and last counters and 64-byte signature.
    static func writeSignatures(_ signatures: [SignedRange], _ writer: inout BinaryWriter) {
        writer.varint(UInt64(signatures.count))
        for range in signatures {
            writer.bytes(range.replica.bytes)
            writer.varint(range.first)
            writer.varint(range.last)
            writer.varint(UInt64(range.signature.count))
            writer.bytes(Array(range.signature))
        }
    }

    static func readSignatures(_ reader: inout BinaryReader) throws -> [SignedRange] {
        var ranges: [SignedRange] = []
        for _ in 0..<(try reader.count(minimumBytesEach: 19)) {
            guard let replica = ReplicaID(bytes: try reader.bytes(16)) else { throw BinaryWireError("bad replica id in a signature") }
            let first = try reader.varint(), last = try reader.varint()
            guard first >= 1, last >= first else { throw BinaryWireError("a signed range \(replica):\(first)-\(last) is empty or starts at 0") }
            let signature = Data(try reader.bytes(try reader.count(minimumBytesEach: 1)))
            ranges.append(SignedRange(replica: replica, first: first, last: last, signature: signature))
        }
        return ranges
    }
}
