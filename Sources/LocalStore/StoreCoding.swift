import SyncModel

/// Text forms of values as stored in SQLite, and of vectors and dots as people and older files
/// read them (the server vector in `meta`, canonical dumps, clocks before ``ClockBlob``):
/// canonical, so equal state is equal bytes.
enum StoreCoding {
    /// `uuid:counter,uuid:counter` in replica order; empty for the empty vector.
    static func encode(_ vector: VersionVector) -> String {
        var utf8: [UInt8] = []
        for entry in vector.entries { append(entry.replica, entry.counter, to: &utf8) }
        return String(decoding: utf8, as: UTF8.self)
    }

    static func decodeVector(_ text: String) throws -> VersionVector {
        var entries: [VersionVector.Entry] = []
        try forEachDot(in: text) { entries.append(.init(replica: $0, counter: $1)) }
        return VersionVector(unsorted: entries)
    }

    static func encode(_ dots: [Dot]) -> String {
        var utf8: [UInt8] = []
        for dot in dots { append(dot.replica, dot.counter, to: &utf8) }
        return String(decoding: utf8, as: UTF8.self)
    }

    static func decodeDots(_ text: String) throws -> [Dot] {
        var dots: [Dot] = []
        try forEachDot(in: text) { dots.append(Dot(replica: $0, counter: $1)) }
        return dots
    }

    private static func append(_ replica: ReplicaID, _ counter: UInt64, to utf8: inout [UInt8]) {
        if !utf8.isEmpty { utf8.append(44) }  // ','
        replica.withText { utf8.append(contentsOf: $0) }
        utf8.append(58)  // ':'
        utf8.append(contentsOf: String(counter).utf8)
    }

    /// Reads `uuid:counter` entries separated by commas, straight from the UTF-8 bytes (clocks
    /// are read for every field a sync touches).
    private static func forEachDot(in text: String, _ body: (ReplicaID, UInt64) -> Void) throws {
        guard !text.isEmpty else { return }
        var text = text
        try text.withUTF8 { bytes in
            var start = 0
            while true {
                var end = start
                while end < bytes.count && bytes[end] != 44 { end += 1 }  // ','
                let entry = bytes[start..<end]
                guard entry.count > 37, entry[start + 36] == 58,  // ':'
                      let replica = ReplicaID(utf8: entry.prefix(36)),
                      let counter = decimal(entry.dropFirst(37)) else {
                    let shown = String(decoding: entry.prefix(60), as: UTF8.self)
                    throw StoreError.damaged("the database holds a malformed clock entry '\(shown)'")
                }
                body(replica, counter)
                if end == bytes.count { return }
                start = end + 1
            }
        }
    }

    private static func decimal(_ digits: some Collection<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 20 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard digit >= 48 && digit <= 57 else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(UInt64(digit - 48))
            guard !overflow && !carry else { return nil }
            value = sum
        }
        return value
    }

    static func encode(_ value: FieldValue) -> String { ValueText.encode(value) }

    static func decodeValue(_ text: String) throws -> FieldValue {
        do {
            return try ValueText.decode(text)
        } catch {
            throw StoreError.damaged("the database holds a malformed value")
        }
    }
}
