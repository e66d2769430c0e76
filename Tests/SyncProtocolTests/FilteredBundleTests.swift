import Foundation
import SyncModel
import SyncProtocol
import Testing

/// A bundle made for one analyst (format 2): its runs may leave gaps, it presupposes only what
/// its versions were written on top of, and a header that says otherwise is refused.
@Suite struct FilteredBundleTests {
    static let key = SigningKey.generate()
    static let alice = ReplicaID("a1a1a1a1-0000-4000-8000-00000000000a")!
    static let bob = ReplicaID("b0b0b0b0-0000-4000-8000-00000000000b")!
    static let sender = VersionBundle.Author(replica: alice, analyst: "alice", publicKey: key.publicKey)

    static func version(_ counter: UInt64, record: Int, context: VersionVector = VersionVector()) -> Version {
        Version(dot: Dot(replica: alice, counter: counter), context: context, record: RecordID(String(format: "c0c0c0c0-0000-4000-8000-%012d", record))!,
                kind: "cell", field: "title", value: .text("v\(counter)"), author: "alice", time: Int64(counter))
    }

    /// Alice's versions 1, 2 and 4 (3, of a record the receiver may not read, left out), each
    /// consecutive stretch signed on its own.
    static func gapped(receiver: String?) -> VersionBundle {
        let versions = [version(1, record: 1), version(2, record: 1, context: VersionVector([alice: 1])), version(4, record: 2)]
        let signatures = key.signRanges(versions[0...1]) + key.signRanges(versions[2...2])
        return VersionBundle(sender: sender, versions: versions, signatures: signatures, authors: [sender],
                             holds: VersionVector([alice: 4]), created: 1, receiver: receiver, compartments: [:])
    }

    @Test func aBundleForOneAnalystLeavesGapsAndPresupposesOnlyWhatItsVersionsBuildOn() throws {
        let read = try VersionBundle.read(Self.gapped(receiver: "bob").encoded(signedBy: Self.key))
        #expect(read.header.format == 2 && read.header.receiver == "bob")
        #expect(read.header.covers.map { "\($0.first)-\($0.last)" } == ["1-2", "4-4"])
        #expect(read.header.presupposes.isEmpty, "version 2 builds on version 1, which it carries; nothing builds on 3")
    }

    @Test func gapsInABundleForAnyoneAreRefused() {
        #expect(throws: BundleError.damaged("the runs its header lists are not the versions it holds, or a run has a gap")) {
            _ = try VersionBundle.read(Self.gapped(receiver: nil).encoded(signedBy: Self.key))
        }
    }

    @Test func aFilteredBundleThatNamesNoReceiverIsRefused() {
        var bundle = Self.gapped(receiver: "bob")
        bundle.header.receiver = nil
        #expect(throws: BundleError.damaged("it is a filtered bundle (format 2) that names no receiver")) {
            _ = try VersionBundle.read(bundle.encoded(signedBy: Self.key))
        }
    }

    @Test func whatAVersionBuildsOnAndTheBundleLeftOutIsPresupposed() throws {
        // Version 4 was written on top of bob's 7 and alice's 3, neither carried.
        let versions = [Self.version(1, record: 1), Self.version(4, record: 1, context: VersionVector([Self.alice: 3, Self.bob: 7]))]
        let bundle = VersionBundle(sender: Self.sender, versions: versions, signatures: Self.key.signRanges(versions[0...0]) + Self.key.signRanges(versions[1...1]),
                                   authors: [Self.sender], holds: VersionVector([Self.alice: 4]), created: 1, receiver: "carol")
        let read = try VersionBundle.read(bundle.encoded(signedBy: Self.key))
        #expect(read.header.presupposes == VersionVector([Self.alice: 3, Self.bob: 7]))
        var forged = bundle
        forged.header.presupposes = VersionVector()
        #expect(throws: BundleError.damaged("the prerequisites its header lists are not what its versions need")) {
            _ = try VersionBundle.read(forged.encoded(signedBy: Self.key))
        }
    }
}
