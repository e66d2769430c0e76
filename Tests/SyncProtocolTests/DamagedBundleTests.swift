import Crypto
import Foundation
import LocalStore
import SyncModel
import SyncProtocol
import Testing

/// Every way a bundle can be damaged or forged is refused with a sentence, and the replica it
/// was applied to is unchanged.
@Suite struct DamagedBundleTests {
    enum Damage: String, CaseIterable {
        case emptyFile, notABundle, truncatedToHalf, lastByteMissing, trailingBytes
        case flippedHeaderBit, flippedVersionBit, flippedHashBit, flippedSignatureBit, wrongHash
        case newerFormat, formatZero, signedByAnotherKey, noRangeSignatures, partlySigned
        case rangeSignedByAnotherReplica, signatureOfAnotherRange, versionAlteredAndResigned, authorForged
        case countMismatch, runsMismatch, prerequisitesUnderstated, authorListedTwice, malformedKey
        case keyChanged, ownWritesFromACopy, prerequisitesMissing, notAFile
    }

    /// Alice's three writes, and bob, who has seen a bundle of hers before (so he knows her key).
    struct Fixture {
        let alice = try! Replica.inMemory(analyst: "alice")
        let bob = try! Replica.inMemory(analyst: "bob")
        let carol = try! Replica.inMemory(analyst: "carol")
        let mallory = SigningKey.generate()
        let aliceKey: SigningKey
        let good: VersionBundle

        init() throws {
            try BundleTests.write(alice, 1, "first")
            _ = try BundleTests.apply(BundleTests.bundle(of: alice), to: bob)
            let seen = try alice.store.versionVector()
            for number in 2...4 { try BundleTests.write(alice, number, "cell \(number)") }
            try BundleTests.write(carol, 9, "carol's")
            aliceKey = try alice.signingKey()
            good = try VersionBundle.read(alice.makeBundle(beyond: seen, at: 2).data)
        }

        var sender: VersionBundle.Author { good.header.sender }

        /// `bundle` encoded and signed by `key` (alice's unless said).
        func signed(_ bundle: VersionBundle, by key: SigningKey? = nil) -> Data { bundle.encoded(signedBy: key ?? aliceKey) }

        func withHeader(_ change: (inout VersionBundle.Header) -> Void) -> Data {
            var bundle = good
            change(&bundle.header)
            return signed(bundle)
        }

        func rebuilt(versions: [Version], signatures: [SignedRange], authors: [VersionBundle.Author]? = nil, key: SigningKey? = nil) -> Data {
            signed(VersionBundle(sender: sender, versions: versions, signatures: signatures, authors: authors ?? good.header.authors,
                                 holds: good.header.holds, created: 2), by: key)
        }

        func bytes(_ damage: Damage) throws -> Data {
            let good = signed(self.good)
            var bytes = [UInt8](good)
            let end = bytes.count - 96
            switch damage {
            case .emptyFile: return Data()
            case .notABundle: return Data("title,trajectory\nAlliance,Advancing\n".utf8)
            case .truncatedToHalf: return good.prefix(good.count / 2)
            case .lastByteMissing: return good.dropLast()
            case .trailingBytes: return good + Data([0, 1, 2])
            case .flippedHeaderBit: bytes[12] ^= 0x04
            case .flippedVersionBit: bytes[end - 7] ^= 0x10
            case .flippedHashBit: bytes[end + 3] ^= 0x01
            case .flippedSignatureBit: bytes[bytes.count - 5] ^= 0x80
            case .wrongHash: bytes.replaceSubrange(end..<end + 32, with: Array(SHA256.hash(data: Data("another file".utf8))))
            case .newerFormat: bytes[8] = UInt8(VersionBundle.format + 1)
            case .formatZero: bytes[8] = 0
            case .signedByAnotherKey: return signed(self.good, by: mallory)
            case .noRangeSignatures: return withHeader { $0.signatures = [] }
            case .partlySigned:
                let run = self.good.versions
                return rebuilt(versions: run, signatures: aliceKey.signRanges(run.dropLast()))
            case .rangeSignedByAnotherReplica:
                return rebuilt(versions: self.good.versions, signatures: try bob.signingKey().signRanges(self.good.versions))
            case .signatureOfAnotherRange:
                // A genuine signature of alice's, over other versions, attached to these.
                let other = try BundleTests.bundle(of: alice)
                let signature = try VersionBundle.read(other).header.signatures[0].signature
                return withHeader { header in
                    for index in header.signatures.indices { header.signatures[index].signature = signature }
                }
            case .versionAlteredAndResigned:
                var versions = self.good.versions
                versions[1].value = .text("altered on the way")
                return rebuilt(versions: versions, signatures: self.good.header.signatures)
            case .authorForged:
                var versions = self.good.versions
                for index in versions.indices { versions[index].author = "carol" }
                return rebuilt(versions: versions, signatures: aliceKey.signRanges(versions))
            case .countMismatch: return withHeader { $0.count += 1 }
            case .runsMismatch: return withHeader { $0.covers[0].last += 1 }
            case .prerequisitesUnderstated: return withHeader { $0.presupposes = VersionVector() }
            case .authorListedTwice: return withHeader { $0.authors.append($0.authors[0]) }
            case .malformedKey: return withHeader { $0.authors[0].publicKey = Data([1, 2, 3]) }
            case .keyChanged:
                // Alice's replica id under mallory's key, consistently signed: bob pinned alice's real key.
                let forged = VersionBundle.Author(replica: alice.id, analyst: "alice", publicKey: mallory.publicKey)
                return signed(VersionBundle(sender: forged, versions: self.good.versions, signatures: mallory.signRanges(self.good.versions),
                                            authors: [forged], holds: self.good.header.holds, created: 2), by: mallory)
            case .ownWritesFromACopy:
                // A copy of bob's file (same id, same key) wrote what bob's file does not hold.
                let copy = try Replica.inMemory(analyst: "bob", id: bob.id, signingKey: try bob.signingKey())
                try BundleTests.write(copy, 5, "written on the copy")
                return try BundleTests.bundle(of: copy)
            case .prerequisitesMissing:
                // Carol's bundle of versions on top of a write bob never received.
                try BundleTests.write(carol, 9, "carol again")
                let seen = VersionVector([carol.id: 1])
                return try carol.makeBundle(beyond: seen, at: 3).data
            case .notAFile: return Data()
            }
            return Data(bytes)
        }
    }

    static func expected(_ damage: Damage, _ error: any Error, _ fixture: Fixture) -> Bool {
        guard let error = error as? BundleError else { return false }
        switch (damage, error) {
        case (.emptyFile, .notABundle), (.notABundle, .notABundle): return true
        case (.truncatedToHalf, .hashMismatch), (.lastByteMissing, .hashMismatch), (.trailingBytes, .hashMismatch): return true
        case (.flippedHeaderBit, .hashMismatch), (.flippedVersionBit, .hashMismatch), (.flippedHashBit, .hashMismatch), (.wrongHash, .hashMismatch): return true
        case (.flippedSignatureBit, .badSenderSignature(let replica)), (.signedByAnotherKey, .badSenderSignature(let replica)):
            return replica == fixture.alice.id
        case (.newerFormat, .newerFormat(let format)): return format == VersionBundle.format + 1
        case (.formatZero, .damaged), (.countMismatch, .damaged), (.runsMismatch, .damaged), (.prerequisitesUnderstated, .damaged),
             (.authorListedTwice, .damaged), (.malformedKey, .damaged):
            return true
        case (.noRangeSignatures, .unsigned(let dot)), (.partlySigned, .unsigned(let dot)): return dot.replica == fixture.alice.id
        case (.rangeSignedByAnotherReplica, .badRangeSignature), (.signatureOfAnotherRange, .badRangeSignature),
             (.versionAlteredAndResigned, .badRangeSignature):
            return true
        case (.authorForged, .wrongAuthor(_, let author, let owner)): return author == "carol" && owner == "alice"
        case (.keyChanged, .keyChanged(let replica)): return replica == fixture.alice.id
        case (.ownWritesFromACopy, .forkedOwn(let replica)): return replica == fixture.bob.id
        case (.prerequisitesMissing, .missingPrerequisites(let missing)): return missing == ["\(fixture.carol.id.short):1-1 (carol)"]
        case (.notAFile, .unreadable): return true
        default: return false
        }
    }

    @Test(arguments: Damage.allCases)
    func aDamagedBundleIsRefusedWithASentenceAndChangesNothing(_ damage: Damage) throws {
        let fixture = try Fixture()
        let before = try fixture.bob.stateDump()
        let data = try fixture.bytes(damage)
        #expect {
            if damage == .notAFile {
                _ = try VersionBundle.load(path: FileManager.default.temporaryDirectory.path)
            } else {
                _ = try fixture.bob.apply(VersionBundle.read(data))
            }
        } throws: { error in
            Self.expected(damage, error, fixture) && "\(error)".hasSuffix("Nothing was applied.")
        }
        #expect(try fixture.bob.stateDump() == before)
        // The undamaged bundle still applies: the refusal was the damage's.
        #expect(try fixture.bob.apply(VersionBundle.read(fixture.signed(fixture.good))).report.new == 3)
    }
}
