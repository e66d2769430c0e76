public import Foundation
public import SyncModel

/// The compact encoding of sync messages, `application/vnd.field-sync.v1+binary`.
///
/// A message is `"FSB"`, the protocol version (one byte), its type (1 request, 2 response), then
/// three tables — replica ids (16 bytes each), strings (kinds, fields, authors) and record ids —
/// and the body, in which every id and string is an index into its table: for a request the
/// replica, vector, feed cursor, page limit and versions, then optional tagged sections (the
/// requester's public key, carried ranges' signatures, its conflict report, its access cursor
/// and access parts, the page's byte budget, see `BinaryWire+Sections.swift`); for an answer the vector, `more`, feed
/// cursor and versions, then an optional access part. A cursor is a 0 byte for none, else a 1, its seq and its chain (8 bytes,
/// little-endian). Integers are LEB128
/// varints; signed ones are zigzag-encoded. Each version's counter is the difference from the
/// previous version of its replica in the message, its context counters the difference from its
/// own counter, and its time the difference from the previous version's time, so a batch of
/// small edits costs about 25 bytes per version.
///
/// Decoding checks every length and index against the bytes that remain: a hostile body fails
/// with ``BinaryWireError``, never a crash and never an allocation larger than the body.
public enum BinaryWire {
    public static let contentType = "application/vnd.field-sync.v1+binary"
    static let magic: [UInt8] = [70, 83, 66]  // "FSB"

    enum MessageType: UInt8 {
        case request = 1, response = 2
    }

    public static func encode(_ request: SyncRequest) -> Data {
        var tables = Tables()
        tables.add(request.replica)
        tables.add(request.vector)
        for version in request.versions { tables.add(version) }
        var writer = BinaryWriter()
        writeHeader(&writer, type: .request, protocolVersion: request.protocolVersion, tables: tables)
        writer.varint(tables.replicaIndex[request.replica]!)
        write(request.vector, &writer, tables)
        write(request.cursor, &writer)
        writer.varint(UInt64(max(0, request.pageLimit ?? 0)))
        write(request.versions, &writer, tables)
        // Optional parts follow as tagged sections, so a request without them is unchanged.
        if let key = request.publicKey {
            writer.byte(Section.publicKey.rawValue)
            writer.varint(UInt64(key.count))
            writer.bytes(Array(key))
        }
        if let signatures = request.signatures, !signatures.isEmpty {
            writer.byte(Section.signatures.rawValue)
            writeSignatures(signatures, &writer)
        }
        let conflicts = request.conflicts
        if !conflicts.isEmpty {
            writer.byte(Section.conflicts.rawValue)
            writeConflicts(conflicts, &writer)
        }
        if let access = request.access {
            writer.byte(Section.access.rawValue)
            writer.varint(access.clearances)
            writer.varint(access.placements)
        }
        if request.homes != nil || request.backfill != nil || request.withdrawn != nil || request.shallow != nil {
            writer.byte(Section.accessParts.rawValue)
            writeJSON(RequestAccess(homes: request.homes, backfill: request.backfill, withdrawn: request.withdrawn, shallow: request.shallow), &writer)
        }
        if let pageBytes = request.pageBytes {
            writer.byte(Section.pageBytes.rawValue)
            writer.varint(UInt64(max(0, pageBytes)))
        }
        return writer.data
    }

    public static func encode(_ response: SyncResponse) -> Data {
        var tables = Tables()
        tables.add(response.vector)
        for version in response.versions { tables.add(version) }
        var writer = BinaryWriter()
        writeHeader(&writer, type: .response, protocolVersion: response.protocolVersion, tables: tables)
        write(response.vector, &writer, tables)
        writer.byte(response.more ? 1 : 0)
        write(response.cursor, &writer)
        write(response.versions, &writer, tables)
        // As in requests, an answer without access parts is the same bytes as before them.
        if response.access != nil || response.compartments != nil || response.backfilled != nil || response.shallow != nil {
            writer.byte(Section.accessParts.rawValue)
            writeJSON(ResponseAccess(access: response.access, compartments: response.compartments, backfilled: response.backfilled,
                                     shallow: response.shallow), &writer)
        }
        return writer.data
    }

    public static func decodeRequest(_ bytes: some Sequence<UInt8>) throws -> SyncRequest {
        var reader = BinaryReader(bytes)
        let (protocolVersion, tables) = try readHeader(&reader, type: .request)
        let replica = try tables.replica(reader.varint())
        let vector = try readVector(&reader, tables)
        let cursor = try readCursor(&reader)
        let limit = try reader.varint()
        let versions = try readVersions(&reader, tables)
        var publicKey: Data?
        var signatures: [SignedRange]?
        var access: AccessCursor?
        var parts: RequestAccess?
        var conflicts = ConflictReport()
        var pageBytes: Int?
        var last: UInt8 = 0
        while reader.remaining > 0 {
            let tag = try reader.byte()
            guard tag > last, let section = Section(rawValue: tag) else { throw BinaryWireError("unknown or repeated request section \(tag)") }
            last = tag
            switch section {
            case .publicKey:
                publicKey = Data(try reader.bytes(try reader.count(minimumBytesEach: 1)))
            case .signatures:
                signatures = try readSignatures(&reader)
            case .conflicts:
                conflicts = try readConflicts(&reader)
            case .access:
                access = AccessCursor(clearances: try reader.varint(), placements: try reader.varint())
            case .accessParts:
                parts = try readJSON(RequestAccess.self, &reader)
            case .pageBytes:
                pageBytes = Int(min(try reader.varint(), UInt64(Int32.max)))
            }
        }
        return SyncRequest(replica: replica, vector: vector, cursor: cursor, versions: versions,
                           pageLimit: limit == 0 ? nil : Int(min(limit, UInt64(Int32.max))),
                           publicKey: publicKey, signatures: signatures, conflicts: conflicts, access: access, homes: parts?.homes,
                           backfill: parts?.backfill, withdrawn: parts?.withdrawn, shallow: parts?.shallow, pageBytes: pageBytes, protocolVersion: protocolVersion)
    }

    public static func decodeResponse(_ bytes: some Sequence<UInt8>) throws -> SyncResponse {
        var reader = BinaryReader(bytes)
        let (protocolVersion, tables) = try readHeader(&reader, type: .response)
        let vector = try readVector(&reader, tables)
        let more = try reader.byte()
        guard more <= 1 else { throw BinaryWireError("'more' must be 0 or 1") }
        let cursor = try readCursor(&reader)
        let versions = try readVersions(&reader, tables)
        var access: ResponseAccess?
        if reader.remaining > 0 {
            guard try reader.byte() == Section.accessParts.rawValue else { throw BinaryWireError("unknown answer section") }
            access = try readJSON(ResponseAccess.self, &reader)
        }
        try reader.expectEnd()
        return SyncResponse(vector: vector, versions: versions, more: more == 1, cursor: cursor, access: access?.access,
                            compartments: access?.compartments, backfilled: access?.backfilled,
                            shallow: access?.shallow, protocolVersion: protocolVersion)
    }

    /// A block of versions on its own: the tables, then the versions, as a message carries them
    /// (a bundle is a sequence of such blocks).
    public static func encodeBlock(_ versions: [Version]) -> [UInt8] {
        var tables = Tables()
        for version in versions { tables.add(version) }
        var writer = BinaryWriter()
        writeTables(&writer, tables)
        write(versions, &writer, tables)
        return writer.buffer
    }

    /// Reads a block ``encodeBlock(_:)`` wrote, of at most `limit` versions (refused before any
    /// is decoded); throws ``BinaryWireError`` for anything else.
    public static func decodeBlock(_ bytes: some Sequence<UInt8>, atMost limit: Int = .max) throws -> [Version] {
        var reader = BinaryReader(bytes)
        let tables = try readTables(&reader)
        let versions = try readVersions(&reader, tables, atMost: limit)
        try reader.expectEnd()
        return versions
    }

    // MARK: - Body

    static func write(_ vector: VersionVector, _ writer: inout BinaryWriter, _ tables: Tables) {
        writer.varint(UInt64(vector.count))
        for entry in vector.entries {
            writer.varint(tables.replicaIndex[entry.replica]!)
            writer.varint(entry.counter)
        }
    }

    static func readVector(_ reader: inout BinaryReader, _ tables: Tables) throws -> VersionVector {
        var entries: [VersionVector.Entry] = []
        for _ in 0..<(try reader.count(minimumBytesEach: 2)) {
            entries.append(.init(replica: try tables.replica(reader.varint()), counter: try reader.varint()))
        }
        guard let vector = VersionVector(distinct: entries) else { throw BinaryWireError("a replica appears twice in a vector") }
        return vector
    }

    /// 0 for none; 1, the seq as a varint and the chain as 8 bytes, little-endian.
    static func write(_ cursor: FeedCursor?, _ writer: inout BinaryWriter) {
        guard let cursor else { return writer.byte(0) }
        writer.byte(1)
        writer.varint(cursor.seq)
        for shift in stride(from: 0, to: 64, by: 8) { writer.byte(UInt8(truncatingIfNeeded: cursor.chain >> UInt64(shift))) }
    }

    static func readCursor(_ reader: inout BinaryReader) throws -> FeedCursor? {
        switch try reader.byte() {
        case 0: return nil
        case 1:
            let seq = try reader.varint()
            let chain = try reader.bytes(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return FeedCursor(seq: seq, chain: chain)
        case let flag: throw BinaryWireError("unknown cursor flag \(flag)")
        }
    }

    static func write(_ versions: [Version], _ writer: inout BinaryWriter, _ tables: Tables) {
        writer.reserve(versions.count * 32)
        writer.varint(UInt64(versions.count))
        var previousCounter = [UInt64](repeating: 0, count: tables.replicas.count)
        var previousTime: Int64 = 0
        // The kind and author of the previous version and their indices (see Tables.add).
        var kind = (text: "", index: UInt64.max), author = (text: "", index: UInt64.max)
        for version in versions {
            if kind.index == .max || version.kind != kind.text { kind = (version.kind, tables.stringIndex[version.kind]!) }
            if author.index == .max || version.author != author.text { author = (version.author, tables.stringIndex[version.author]!) }
            let replica = Int(tables.replicaIndex[version.dot.replica]!)
            let counter = version.dot.counter
            writer.varint(UInt64(replica))
            writer.signed(Int64(bitPattern: counter &- previousCounter[replica]))
            previousCounter[replica] = counter
            writer.varint(UInt64(version.context.count))
            for entry in version.context.entries {
                writer.varint(tables.replicaIndex[entry.replica]!)
                writer.signed(Int64(bitPattern: counter &- entry.counter))
            }
            writer.varint(tables.recordIndex[version.record]!)
            writer.varint(kind.index)
            writer.varint(tables.stringIndex[version.field]!)
            writer.value(version.value)
            writer.varint(author.index)
            writer.signed(version.time &- previousTime)
            previousTime = version.time
        }
    }

    /// One version on its own, every id and string spelled out: the bytes a signature covers.
    static func writeCanonical(_ version: Version, _ writer: inout BinaryWriter) {
        writer.bytes(version.dot.replica.bytes)
        writer.varint(version.dot.counter)
        writer.varint(UInt64(version.context.count))
        for entry in version.context.entries {
            writer.bytes(entry.replica.bytes)
            writer.varint(entry.counter)
        }
        writer.bytes(version.record.bytes)
        writer.string(version.kind)
        writer.string(version.field)
        writer.value(version.value)
        writer.string(version.author)
        writer.signed(version.time)
    }

    static func readVersions(_ reader: inout BinaryReader, _ tables: Tables, atMost limit: Int = .max) throws -> [Version] {
        let count = try reader.count(minimumBytesEach: 9)
        guard count <= limit else { throw BinaryWireError("a block holds \(count) versions; at most \(limit) are read") }
        var versions: [Version] = []
        versions.reserveCapacity(count)
        var previousCounter = [UInt64](repeating: 0, count: tables.replicas.count)
        var previousTime: Int64 = 0
        for _ in 0..<count {
            let replicaIndex = try reader.varint()
            let replica = try tables.replica(replicaIndex)
            let counter = previousCounter[Int(replicaIndex)] &+ UInt64(bitPattern: try reader.signed())
            previousCounter[Int(replicaIndex)] = counter
            var entries: [VersionVector.Entry] = []
            for _ in 0..<(try reader.count(minimumBytesEach: 2)) {
                let id = try tables.replica(reader.varint())
                entries.append(.init(replica: id, counter: counter &- UInt64(bitPattern: try reader.signed())))
            }
            guard let context = VersionVector(distinct: entries) else {
                throw BinaryWireError("a replica appears twice in the context of version \(Dot(replica: replica, counter: counter))")
            }
            let record = try tables.record(reader.varint())
            let kind = try tables.string(reader.varint())
            let field = try tables.string(reader.varint())
            let value = try reader.value()
            let author = try tables.string(reader.varint())
            let time = previousTime &+ (try reader.signed())
            previousTime = time
            versions.append(Version(dot: Dot(replica: replica, counter: counter), context: context, record: record,
                                    kind: kind, field: field, value: value, author: author, time: time))
        }
        return versions
    }
}

/// Why a binary body could not be read.
public struct BinaryWireError: Error, CustomStringConvertible, Equatable {
    public var description: String
    init(_ description: String) { self.description = description }
}
