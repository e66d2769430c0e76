extension VersionVector {
    /// `uuid:counter,uuid:counter` in replica order (empty for the empty vector): how a file
    /// written for people (an export) carries a causal state on one line.
    public var text: String {
        entries.map { "\($0.replica.rawValue):\($0.counter)" }.joined(separator: ",")
    }

    /// Reads ``text``; nil for anything else (an id that is not a replica's, a counter that is
    /// not a positive integer, a replica named twice).
    public init?(text: String) {
        guard !text.isEmpty else {
            self.init()
            return
        }
        var entries: [Entry] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 2, let replica = ReplicaID(String(pieces[0])), let counter = UInt64(pieces[1]), counter > 0 else { return nil }
            entries.append(Entry(replica: replica, counter: counter))
        }
        guard let vector = VersionVector(distinct: entries) else { return nil }
        self = vector
    }
}
