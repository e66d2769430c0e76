import Foundation
import SyncModel

/// Checks a bundle's versions against its header a version at a time, as ``VersionBundle/read(_:)``
/// decodes them block by block: the count, their order, the runs and prerequisites the header
/// lists, every version's place in a range its own replica's key signed, and its author.
/// Throws ``BundleError``: what the header alone shows (receiver and format, authors, malformed
/// ranges, counters no store holds) before any version; what one version shows (out of order, a
/// gap, a signed range missing it) as that version passes; the rest at the end, the header's
/// claims first, then the signatures, then the first version unsigned or under another
/// analyst's name.
struct BundleCheck {
    private let header: VersionBundle.Header
    private var authors: [ReplicaID: VersionBundle.Author] = [:]
    private var contents: BundleContents
    private var ranges: SignedRangeFeed
    /// The first version not signed by its replica or not written by its replica's analyst,
    /// reported once the signatures are checked (a bad signature is the stronger finding).
    private var wrongVersion: BundleError?

    /// The highest counter a store holds (an SQLite integer).
    private static let maxCounter = UInt64(Int64.max)
    private static let runsDiffer = BundleError.damaged("the runs its header lists are not the versions it holds, or a run has a gap")

    init(_ header: VersionBundle.Header) throws {
        self.header = header
        let filtered = header.format >= 2
        guard filtered == (header.receiver != nil) else {
            throw BundleError.damaged(filtered ? "it is a filtered bundle (format 2) that names no receiver" : "it names a receiver but is not a filtered bundle (format 2)")
        }
        for author in header.authors {
            guard authors.updateValue(author, forKey: author.replica) == nil else { throw BundleError.damaged("replica \(author.replica) is listed twice among its authors") }
            guard SignatureCheck.isValidPublicKey(author.publicKey) else { throw BundleError.damaged("the key listed for replica \(author.replica) is malformed") }
        }
        if let listed = authors[header.sender.replica], listed != header.sender {
            throw BundleError.damaged("its sender \(header.sender.replica) is listed among its authors with another key or analyst")
        }
        // Counters are stored as SQLite integers, and a reader counts on from what a sender holds.
        // A range's `last` stands for it: one that ends before it starts is refused as malformed.
        let named = header.holds.entries + header.presupposes.entries
            + header.signatures.map { VersionVector.Entry(replica: $0.replica, counter: $0.last) }
        if let entry = named.first(where: { $0.counter > Self.maxCounter }) {
            throw BundleError.damaged("its header names counter \(entry.counter) of replica \(entry.replica), more than any replica can write (\(Int64.max))")
        }
        contents = BundleContents(filtered: filtered)
        do {
            ranges = try SignedRangeFeed(header.signatures)
        } catch {
            throw BundleError.damaged("\(error)")
        }
    }

    /// The next version of the file.
    mutating func add(_ version: Version) throws {
        guard version.dot.counter <= Self.maxCounter, version.context.entries.allSatisfy({ $0.counter <= Self.maxCounter }) else {
            throw BundleError.damaged("version \(version.dot) names a counter more than any replica can write (\(Int64.max))")
        }
        guard contents.add(version) else { throw BundleError.damaged("its versions are not in order, or one appears twice") }
        guard !contents.hasGap || contents.filtered else { throw Self.runsDiffer }
        let signed: Bool
        do {
            signed = try ranges.feed(version)
        } catch {
            throw BundleError.damaged("\(error)")
        }
        guard wrongVersion == nil else { return }
        // A version of a replica with no author listed is left to `finish`, which refuses the
        // range that signs it for want of a key (or the version as unsigned).
        if !signed {
            wrongVersion = .unsigned(version.dot)
        } else if let owner = authors[version.dot.replica]?.analyst, version.author != owner {
            wrongVersion = .wrongAuthor(version.dot, author: version.author, owner: owner)
        }
    }

    /// After the last version: what they imply must be what the header says, and every
    /// signature must verify. Returns what the versions hold.
    func finish() throws -> BundleContents {
        guard header.count == contents.count else { throw BundleError.damaged("its header counts \(header.count) versions but it holds \(contents.count)") }
        guard header.covers == contents.runs else { throw Self.runsDiffer }
        guard header.presupposes == contents.prerequisites else {
            throw BundleError.damaged("the prerequisites its header lists are not what its versions need")
        }
        do {
            try ranges.finish()
        } catch {
            throw BundleError.damaged("\(error)")
        }
        if let keyless = header.signatures.first(where: { authors[$0.replica] == nil }) { throw BundleError.noKey(keyless.replica) }
        for (range, digest) in zip(header.signatures, ranges.digests) {
            guard let digest, let key = authors[range.replica]?.publicKey, SignatureCheck.verify(range.signature, of: digest, publicKey: key) else {
                throw BundleError.badRangeSignature(range.label)
            }
        }
        if let wrongVersion { throw wrongVersion }
        return contents
    }
}
