public import Foundation
public import SyncModel

extension VersionBundle {
    /// Makes a bundle from versions given a run at a time, in dot order: each block is encoded
    /// as it fills and the header is derived at the end, so a bundle of a million versions is
    /// never held decoded whole.
    public struct Builder: Sendable {
        private var contents: BundleContents
        private var pending: [Version] = []
        private var blocks: [ArraySlice<UInt8>] = []
        private let blockSize: Int

        /// A builder for a bundle filtered for one receiver (format 2: runs may have gaps) or not.
        public init(filtered: Bool) {
            self.init(filtered: filtered, blockSize: VersionBundle.blockSize)
        }

        /// With blocks of `blockSize` versions, so that tests cross block boundaries cheaply.
        init(filtered: Bool, blockSize: Int) {
            contents = BundleContents(filtered: filtered)
            self.blockSize = blockSize
        }

        /// Versions added so far.
        public var count: Int { contents.count }

        /// Adds `versions`, which continue the bundle in dot order (each replica's in counter
        /// order, replicas in order): a caller's mistake otherwise, which stops the program.
        public mutating func append(_ versions: some Sequence<Version>) {
            for version in versions {
                precondition(contents.add(version), "bundle versions must be added in dot order: \(version.dot) is not after the last one")
                pending.append(version)
                if pending.count == blockSize { closeBlock() }
            }
        }

        private mutating func closeBlock() {
            guard !pending.isEmpty else { return }
            blocks.append(ArraySlice(BinaryWire.encodeBlock(pending)))
            pending.removeAll(keepingCapacity: true)
        }

        /// The bundle of the versions added, signed by `signatures`, from `sender`. Without a
        /// `receiver`, each replica's versions are a run without gaps (format 1); with one, they
        /// are what that analyst may read, with the `compartments` of their records outside the
        /// default one (format 2).
        public consuming func finish(
            sender: Author, signatures: [SignedRange], authors: [Author], holds: VersionVector, created: Int64,
            id: String = UUID().uuidString.lowercased(), receiver: String? = nil, compartments: RecordCompartments = [:]
        ) -> VersionBundle {
            precondition(contents.filtered == (receiver != nil), "a filtered bundle names its receiver, and only a filtered one")
            closeBlock()
            let header = Header(format: contents.filtered ? 2 : 1, id: id, sender: sender, created: created, covers: contents.runs,
                                presupposes: contents.prerequisites, holds: holds, authors: authors.sorted { $0.replica < $1.replica },
                                signatures: signatures.sorted { ($0.replica, $0.first, $0.last) < ($1.replica, $1.first, $1.last) }, count: contents.count,
                                receiver: receiver, compartments: contents.filtered ? compartments : nil)
            return VersionBundle(header: header, blocks: blocks, contents: contents)
        }
    }
}
