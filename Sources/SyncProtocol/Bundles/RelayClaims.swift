public import Foundation
public import SyncModel

/// The signed ranges a request or bundle carries, each with the digest of the versions it
/// carries for that range: computed before any transaction, judged inside it against the keys
/// the server has bound (see ``ServerStorage/exchange(analyst:requester:clientVector:cursor:versions:signatures:publicKey:pageLimit:at:)``).
public struct RelayClaims: Sendable {
    public struct Claim: Sendable {
        public var range: SignedRange
        public var digest: Data
    }

    public private(set) var claims: [Claim] = []

    public init() {}

    /// Pairs each range with the versions of `versions` it covers; throws when a range is
    /// malformed or covers a version `versions` lacks (each replica's versions must come in
    /// counter order, as the protocol sends them). Ranges may overlap (a bundle may carry two
    /// signings of one run).
    public init(_ signatures: [SignedRange], versions: [Version]) throws {
        guard !signatures.isEmpty else { return }
        // Each replica's versions by position in `versions`: a range's versions are found by a
        // binary search for its first counter, then read in order (no copy of every version).
        var positions: [ReplicaID: [Int]] = [:]
        for (index, version) in versions.enumerated() { positions[version.dot.replica, default: []].append(index) }
        for range in signatures {
            guard range.isWellFormed else {
                throw RelayError.malformed(range.label)
            }
            let held = positions[range.replica] ?? []
            var low = 0, high = held.count
            while low < high {
                let middle = (low + high) / 2
                if versions[held[middle]].dot.counter < range.first { low = middle + 1 } else { high = middle }
            }
            let run = held[low..<min(held.count, low + range.count)].lazy.map { versions[$0] }
            for (offset, version) in run.enumerated() where version.dot.counter != range.first + UInt64(offset) {
                throw RelayError.incomplete(range: range.label, missing: Dot(replica: range.replica, counter: range.first + UInt64(offset)))
            }
            guard run.count == range.count else {
                throw RelayError.incomplete(range: range.label, missing: Dot(replica: range.replica, counter: range.first + UInt64(run.count)))
            }
            claims.append(Claim(range: range, digest: RangeDigest.digest(replica: range.replica, first: range.first, last: range.last, versions: run)))
        }
    }

    /// Checks each claim against its replica's key where `keys` knows one, and returns what the
    /// verified ranges cover. A claim for a replica with no known key is left unverified (its
    /// versions then need another right to be stored); a claim whose signature fails refuses
    /// everything.
    public func verified(keys: (ReplicaID) -> Data?) throws -> SignedCoverage {
        var coverage = SignedCoverage()
        for claim in claims {
            guard let key = keys(claim.range.replica) else { continue }
            guard SignatureCheck.verify(claim.range.signature, of: claim.digest, publicKey: key) else {
                throw ExchangeRefusal.badSignature(range: claim.range.label)
            }
            coverage.ranges[claim.range.replica, default: []].append(claim.range.first...claim.range.last)
        }
        for replica in coverage.ranges.keys { coverage.ranges[replica]!.sort { $0.lowerBound < $1.lowerBound } }
        return coverage
    }
}

/// The versions verified signed ranges cover, each replica's ranges sorted by their start.
public struct SignedCoverage: Sendable {
    var ranges: [ReplicaID: [ClosedRange<UInt64>]] = [:]

    /// Whether a verified range holds `dot`: a binary search for the last range of its replica
    /// starting at or below it, then a look back over the few that start close enough to reach
    /// it (a range is at most ``SignedRange/maxVersions`` long).
    public func contains(_ dot: Dot) -> Bool {
        guard let ranges = ranges[dot.replica] else { return false }
        var low = 0, high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].lowerBound <= dot.counter { low = middle + 1 } else { high = middle }
        }
        var index = low - 1
        while index >= 0 {
            if ranges[index].contains(dot.counter) { return true }
            if ranges[index].lowerBound + UInt64(SignedRange.maxVersions) <= dot.counter { return false }
            index -= 1
        }
        return false
    }
}

/// A signed range that cannot be checked: the request is malformed (400).
public enum RelayError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case incomplete(range: String, missing: Dot)
    /// The requester's public key is not a 32-byte Ed25519 key.
    case malformedKey(ReplicaID?)

    public var description: String {
        switch self {
        case .malformed(let range):
            return "signed range \(range) is empty, starts at 0 or covers more than \(SignedRange.maxVersions) versions"
        case .malformedKey(let replica):
            return "the public key sent for replica \(replica?.description ?? "(none)") is not a 32-byte Ed25519 key; send the key `sync-client init` made, or none"
        case .incomplete(let range, let missing):
            return "signed range \(range) covers version \(missing), which is not carried with it; send every version of a signed range together"
        }
    }
}
