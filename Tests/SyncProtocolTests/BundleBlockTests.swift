import Foundation
import SyncModel
@testable import SyncProtocol
import Testing
import TestSupport

/// A bundle is made and read a block at a time: its header is derived from the versions as they
/// pass (``BundleContents``), and its signatures are checked as they pass (``SignedRangeFeed``),
/// so nothing holds every version at once. These tests hold the incremental derivations to the
/// whole-array ones they replace, and cross block boundaries with blocks of a few versions.
@Suite struct BundleBlockTests {
    /// A random history's versions in dot order, with about one in `dropEvery` left out (gaps,
    /// as a filtered bundle has them); none left out when `dropEvery` is 0.
    static func versions(seed: UInt64, dropEvery: UInt64) -> [Version] {
        var generator = HistoryGenerator(seed: seed, replicaCount: 4, recordCount: 12)
        generator.run(steps: 150)
        var random = SplitMix64(seed: seed ^ 0xB10C)
        return generator.allVersions.sorted { $0.dot < $1.dot }.filter { _ in dropEvery == 0 || random.next() % dropEvery != 0 }
    }

    /// The whole-array derivation of a bundle's runs: consecutive counters of one replica.
    static func runs(_ sorted: [Version]) -> [VersionBundle.Run] {
        var runs: [VersionBundle.Run] = []
        for version in sorted {
            if let last = runs.last, last.replica == version.dot.replica, last.last + 1 == version.dot.counter {
                runs[runs.count - 1].last = version.dot.counter
            } else {
                runs.append(VersionBundle.Run(replica: version.dot.replica, first: version.dot.counter, last: version.dot.counter))
            }
        }
        return runs
    }

    /// The whole-array derivation of what a bundle presupposes (see the format's description).
    static func prerequisites(_ sorted: [Version], filtered: Bool) -> VersionVector {
        var needed: [ReplicaID: UInt64] = [:]
        if filtered {
            let carried = Set(sorted.map(\.dot))
            for version in sorted {
                for entry in version.context.entries where !carried.contains(Dot(replica: entry.replica, counter: entry.counter)) {
                    needed[entry.replica] = max(needed[entry.replica] ?? 0, entry.counter)
                }
            }
            return VersionVector(needed)
        }
        var first: [ReplicaID: UInt64] = [:]
        for version in sorted where first[version.dot.replica] == nil { first[version.dot.replica] = version.dot.counter }
        for (replica, counter) in first where counter > 1 { needed[replica] = counter - 1 }
        for version in sorted {
            for entry in version.context.entries where first[entry.replica] == nil {
                needed[entry.replica] = max(needed[entry.replica] ?? 0, entry.counter)
            }
        }
        return VersionVector(needed)
    }

    @Test("runs and prerequisites gathered a version at a time are the whole-array ones", arguments: testSeeds(count: 20, base: 0xB10C_0000))
    func contentsMatchTheWholeArrayDerivation(seed: UInt64) {
        for (filtered, dropEvery) in [(false, UInt64(0)), (true, 0), (true, 3), (true, 2)] {
            // Unfiltered bundles carry each replica's versions from some counter on, without gaps.
            let all = Self.versions(seed: seed, dropEvery: dropEvery)
            let sorted = filtered ? all : all.filter { $0.dot.counter > seed % 5 }
            var contents = BundleContents(filtered: filtered)
            let added = sorted.filter { contents.add($0) }.count
            #expect(added == sorted.count, "every version in dot order is added, seed \(seed)")
            #expect(contents.runs == Self.runs(sorted), "seed \(seed), filtered \(filtered)")
            #expect(contents.prerequisites == Self.prerequisites(sorted, filtered: filtered), "seed \(seed), filtered \(filtered), one in \(dropEvery) dropped")
            #expect(contents.records == Set(sorted.map(\.record)) && contents.count == sorted.count, "seed \(seed)")
            let again = contents.add(sorted[sorted.count / 2])
            #expect(!again && contents.count == sorted.count, "a version out of dot order is refused, seed \(seed)")
        }
    }

    /// `versions` (dot order) signed by their replicas' keys, in blocks of `blockSize`, with
    /// `extra` signatures beside.
    static func bundle(_ versions: [Version], blockSize: Int, keys: [ReplicaID: SigningKey], extra: [SignedRange] = []) -> (VersionBundle, SigningKey) {
        var authors: [ReplicaID: VersionBundle.Author] = [:]
        var signatures = extra
        for replica in Set(versions.map(\.dot.replica)) {
            let run = versions.filter { $0.dot.replica == replica }
            authors[replica] = VersionBundle.Author(replica: replica, analyst: run[0].author, publicKey: keys[replica]!.publicKey)
            signatures += keys[replica]!.signRanges(run)
        }
        let sender = authors.values.sorted { $0.replica < $1.replica }[0]
        var builder = VersionBundle.Builder(filtered: false, blockSize: blockSize)
        builder.append(versions)
        let bundle = builder.finish(sender: sender, signatures: signatures, authors: Array(authors.values), holds: VersionVector(), created: 1)
        return (bundle, keys[sender.replica]!)
    }

    @Test("a bundle of many small blocks reads back whole, overlapping signatures and all", arguments: testSeeds(count: 5, base: 0xB10C_1000))
    func manyBlocksReadBack(seed: UInt64) throws {
        let versions = Self.versions(seed: seed, dropEvery: 0)
        let keys = Dictionary(uniqueKeysWithValues: Set(versions.map(\.dot.replica)).map { ($0, SigningKey.generate()) })
        // A second signing of part of the first replica's run, across block boundaries.
        let first = versions.filter { $0.dot.replica == versions[0].dot.replica }
        let again = keys[versions[0].dot.replica]!.signRanges(first[1..<min(first.count, 9)])
        let (bundle, key) = Self.bundle(versions, blockSize: 4, keys: keys, extra: again)
        #expect(bundle.blocks.count == (versions.count + 3) / 4, "seed \(seed)")
        let read = try VersionBundle.read(bundle.encoded(signedBy: key))
        #expect(read.versions == versions, "seed \(seed)")
        var blocks: [Int] = []
        read.forEachBlock { blocks.append($0.count) }
        #expect(blocks.allSatisfy { $0 <= 4 } && blocks.reduce(0, +) == versions.count, "seed \(seed)")
        #expect(read.summary.records == Set(versions.map(\.record)).count, "seed \(seed)")
    }

    @Test func aSignedRangeSpanningBlocksThatMissesAVersionIsRefused() throws {
        let versions = Self.versions(seed: 7, dropEvery: 0)
        let keys = Dictionary(uniqueKeysWithValues: Set(versions.map(\.dot.replica)).map { ($0, SigningKey.generate()) })
        let first = versions.filter { $0.dot.replica == versions[0].dot.replica }
        try #require(first.count >= 6, "the history gives the first replica a run to cut")
        // Signed whole, then carried without its fifth version (and so, without a gap check, as a filtered bundle).
        let signatures = keys[first[0].dot.replica]!.signRanges(first)
        let kept = versions.filter { $0.dot != first[4].dot && $0.dot.replica == first[0].dot.replica }
        let sender = VersionBundle.Author(replica: first[0].dot.replica, analyst: first[0].author, publicKey: keys[first[0].dot.replica]!.publicKey)
        var builder = VersionBundle.Builder(filtered: true, blockSize: 2)
        builder.append(kept)
        let bundle = builder.finish(sender: sender, signatures: signatures, authors: [sender], holds: VersionVector(), created: 1, receiver: "bob")
        #expect(throws: BundleError.damaged("\(RelayError.incomplete(range: signatures[0].label, missing: first[4].dot))")) {
            _ = try VersionBundle.read(bundle.encoded(signedBy: keys[first[0].dot.replica]!))
        }
    }

    /// Counters beyond what a store holds (`Int64.max`) are refused with a sentence, in the
    /// header or in a version; a range spanning every counter is refused; a block over its
    /// limit is refused; and a range ending at the last counter there is closes without
    /// counting past it.
    @Test func countersBeyondAStoresAreRefusedAndARangeClosesAtTheLastCounter() throws {
        let key = SigningKey.generate()
        let replica = ReplicaID("e0e0e0e0-0000-4000-8000-00000000000e")!
        func version(_ counter: UInt64) -> Version {
            Version(dot: Dot(replica: replica, counter: counter), context: VersionVector(), record: RecordID("c0c0c0c0-0000-4000-8000-000000000001")!,
                    kind: "cell", field: "title", value: .text("v\(counter)"), author: "erin", time: 1)
        }
        let author = VersionBundle.Author(replica: replica, analyst: "erin", publicKey: key.publicKey)
        let last = version(.max)
        // For anyone, the bundle presupposes the counters before its run; for one analyst
        // (format 2), only what its versions build on: nothing here.
        let forAnyone = VersionBundle(sender: author, versions: [last], signatures: key.signRanges([last]), authors: [author], holds: VersionVector(), created: 1)
        #expect(throws: BundleError.damaged("its header names counter \(UInt64.max - 1) of replica \(replica), more than any replica can write (\(Int64.max))")) {
            _ = try VersionBundle.read(forAnyone.encoded(signedBy: key))
        }
        let beyond = VersionBundle(sender: author, versions: [last], signatures: key.signRanges([last]), authors: [author], holds: VersionVector(), created: 1, receiver: "bob")
        #expect(throws: BundleError.damaged("its header names counter \(UInt64.max) of replica \(replica), more than any replica can write (\(Int64.max))")) {
            _ = try VersionBundle.read(beyond.encoded(signedBy: key))
        }
        var spanning = key.signRanges([last])[0]
        spanning.first = 1
        #expect(throws: RelayError.malformed(spanning.label)) { _ = try SignedRangeFeed([spanning]) }
        // A context naming such a counter, of a replica the bundle carries (so no prerequisite).
        var named = version(1)
        named.context = VersionVector([replica: .max])
        let naming = VersionBundle(sender: author, versions: [named], signatures: key.signRanges([named]), authors: [author], holds: VersionVector(), created: 1)
        #expect(throws: BundleError.damaged("version \(named.dot) names a counter more than any replica can write (\(Int64.max))")) {
            _ = try VersionBundle.read(naming.encoded(signedBy: key))
        }
        #expect(throws: BinaryWireError.self) { _ = try BinaryWire.decodeBlock(BinaryWire.encodeBlock([named, version(2), version(3)]), atMost: 2) }
        #expect(try BinaryWire.decodeBlock(BinaryWire.encodeBlock([named, version(2)]), atMost: 2).count == 2)
        let first = version(1)
        var holding = VersionBundle(sender: author, versions: [first], signatures: key.signRanges([first]), authors: [author], holds: VersionVector(), created: 1)
        holding.header.holds = VersionVector([replica: .max])
        #expect(throws: BundleError.damaged("its header names counter \(UInt64.max) of replica \(replica), more than any replica can write (\(Int64.max))")) {
            _ = try VersionBundle.read(holding.encoded(signedBy: key))
        }
        var feed = try SignedRangeFeed(key.signRanges([last]))
        let held = try feed.feed(last)
        try feed.finish()
        #expect(held && feed.digests == [RangeDigest.digest(replica: replica, first: .max, last: .max, versions: [last])])
    }
}
