import SyncModel

/// Text forms of vectors, dots and values as stored in SQLite: canonical, so equal state is equal bytes.
enum StoreCoding {
    /// `uuid:counter,uuid:counter` in replica order; empty for the empty vector.
    static func encode(_ vector: VersionVector) -> String {
        vector.replicas.map { "\($0.rawValue):\(vector[$0])" }.joined(separator: ",")
    }

    static func decodeVector(_ text: String) throws -> VersionVector {
        var counters: [ReplicaID: UInt64] = [:]
        for dot in try decodeDots(text) { counters[dot.replica] = dot.counter }
        return VersionVector(counters)
    }

    static func encode(_ dots: [Dot]) -> String {
        dots.map { "\($0.replica.rawValue):\($0.counter)" }.joined(separator: ",")
    }

    static func decodeDots(_ text: String) throws -> [Dot] {
        guard !text.isEmpty else { return [] }
        return try text.split(separator: ",").map { entry in
            guard let colon = entry.firstIndex(of: ":"),
                  let replica = ReplicaID(String(entry[..<colon])),
                  let counter = UInt64(entry[entry.index(after: colon)...]) else {
                throw StoreError.writeFailed(reason: "the database holds a malformed clock entry '\(entry.prefix(60))'; run PRAGMA integrity_check")
            }
            return Dot(replica: replica, counter: counter)
        }
    }

    static func encode(_ value: FieldValue) -> String { ValueText.encode(value) }

    static func decodeValue(_ text: String) throws -> FieldValue {
        do {
            return try ValueText.decode(text)
        } catch {
            throw StoreError.writeFailed(reason: "the database holds a malformed value; run PRAGMA integrity_check")
        }
    }
}
