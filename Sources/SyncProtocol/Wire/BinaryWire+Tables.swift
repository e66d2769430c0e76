import Foundation
import SyncModel

/// The tables every binary message starts with, after its header: replica ids, strings and
/// record ids, each once, which the body names by index.
extension BinaryWire {

    /// Every replica id, string and record id of a message, each once, in first-use order.
    struct Tables {
        var replicas: [ReplicaID] = []
        var replicaIndex: [ReplicaID: UInt64] = [:]
        var strings: [String] = []
        var stringIndex: [String: UInt64] = [:]
        var records: [RecordID] = []
        var recordIndex: [RecordID: UInt64] = [:]
        private var lastKind: String?
        private var lastAuthor: String?

        mutating func add(_ replica: ReplicaID) {
            if replicaIndex[replica] == nil {
                replicaIndex[replica] = UInt64(replicas.count)
                replicas.append(replica)
            }
        }

        mutating func add(_ vector: VersionVector) {
            for entry in vector.entries { add(entry.replica) }
        }

        mutating func add(string: String) {
            if stringIndex[string] == nil {
                stringIndex[string] = UInt64(strings.count)
                strings.append(string)
            }
        }

        mutating func add(_ version: Version) {
            add(version.dot.replica)
            add(version.context)
            // A page's versions mostly share their kind and come in runs of one author: a
            // string equal to the previous version's is already in the table, unhashed.
            if version.kind != lastKind { add(string: version.kind) }
            add(string: version.field)
            if version.author != lastAuthor { add(string: version.author) }
            (lastKind, lastAuthor) = (version.kind, version.author)
            if recordIndex[version.record] == nil {
                recordIndex[version.record] = UInt64(records.count)
                records.append(version.record)
            }
        }

        func replica(_ index: UInt64) throws -> ReplicaID {
            guard index < UInt64(replicas.count) else { throw BinaryWireError("replica index \(index) is outside the table of \(replicas.count)") }
            return replicas[Int(index)]
        }

        func string(_ index: UInt64) throws -> String {
            guard index < UInt64(strings.count) else { throw BinaryWireError("string index \(index) is outside the table of \(strings.count)") }
            return strings[Int(index)]
        }

        func record(_ index: UInt64) throws -> RecordID {
            guard index < UInt64(records.count) else { throw BinaryWireError("record index \(index) is outside the table of \(records.count)") }
            return records[Int(index)]
        }
    }

    static func writeHeader(_ writer: inout BinaryWriter, type: MessageType, protocolVersion: Int, tables: Tables) {
        writer.bytes(magic)
        writer.byte(UInt8(clamping: protocolVersion))
        writer.byte(type.rawValue)
        writeTables(&writer, tables)
    }

    static func writeTables(_ writer: inout BinaryWriter, _ tables: Tables) {
        writer.varint(UInt64(tables.replicas.count))
        for replica in tables.replicas { writer.bytes(replica.bytes) }
        writer.varint(UInt64(tables.strings.count))
        for string in tables.strings { writer.string(string) }
        writer.varint(UInt64(tables.records.count))
        for record in tables.records { writer.bytes(record.bytes) }
    }

    static func readHeader(_ reader: inout BinaryReader, type: MessageType) throws -> (Int, Tables) {
        guard try reader.bytes(3) == magic[...] else { throw BinaryWireError("the body does not start with FSB: it is not a binary sync message") }
        let protocolVersion = Int(try reader.byte())
        guard try reader.byte() == type.rawValue else {
            throw BinaryWireError("the message is not a sync \(type == .request ? "request" : "response")")
        }
        return (protocolVersion, try readTables(&reader))
    }

    static func readTables(_ reader: inout BinaryReader) throws -> Tables {
        var tables = Tables()
        for _ in 0..<(try reader.count(minimumBytesEach: 16)) {
            guard let replica = ReplicaID(bytes: try reader.bytes(16)) else { throw BinaryWireError("bad replica id") }
            guard tables.replicaIndex[replica] == nil else { throw BinaryWireError("replica \(replica) appears twice in the table") }
            tables.add(replica)
        }
        for _ in 0..<(try reader.count(minimumBytesEach: 1)) {
            tables.strings.append(try reader.string())
        }
        for _ in 0..<(try reader.count(minimumBytesEach: 16)) {
            guard let record = RecordID(bytes: try reader.bytes(16)) else { throw BinaryWireError("bad record id") }
            tables.records.append(record)
        }
        return tables
    }
}
