@testable import LocalStore
import SyncModel
import Testing
import TestSupport

/// Random work done alike on two replicas with the same id that must never be told apart (one
/// logs single writes and one writes them directly, or one takes batches field by field and
/// one change by change): every write and every page from a peer gives the same result, every
/// read the same record, and the stores end the same.
struct TwinReplicaWork {
    private var random: SplitMix64
    private let seed: UInt64
    private let records: [RecordID]
    /// A third replica whose concurrent versions both receive.
    private let peer: Replica
    private var delivered = 0

    private static let fields: [(String, @Sendable (Int) -> FieldValue)] = [
        ("title", { .text("Title \($0)") }),
        ("tier", { .text("Tier \($0 % 3)") }),
        ("number", { .int(Int64($0 % 4)) }),
        ("assessment", { .text("First paragraph \($0 % 2).\n\nSecond paragraph \($0).") }),
        ("commitments", { .list(["c\($0 % 3)", "c\($0 % 5)"]) }),
    ]

    init(seed: UInt64) throws {
        self.seed = seed
        var random = SplitMix64(seed: seed)
        records = (0..<6).map { _ in RecordID(bytes: (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) })! }
        self.random = random
        peer = try Replica.inMemory(analyst: "bob")
    }

    /// A random change of one of six records; `unusual` ones now and then delete, make a signal
    /// of a record (refused where it is a cell) or give a number as text (refused).
    private mutating func change(_ step: Int, unusual: Bool) -> FieldChange {
        let record = records[Int(random.next() % UInt64(records.count))]
        if unusual {
            switch random.next() % 40 {
            case 0: return FieldChange(record: record, kind: "cell", field: RecordSchema.deletedFieldName, value: .bool(random.next() % 2 == 0))
            case 1: return FieldChange(record: record, kind: "signal", field: "title", value: .text("Signal \(step)"))
            case 2: return FieldChange(record: record, kind: "cell", field: "number", value: .text("not a number \(step)"))
            default: break
            }
        }
        let (field, value) = Self.fields[Int(random.next() % UInt64(Self.fields.count))]
        return FieldChange(record: record, kind: "cell", field: field, value: value(step))
    }

    /// `steps` steps of random work on `left` and `right`; each write step makes
    /// `writeSize(&random)` changes.
    mutating func run(_ left: Replica, _ right: Replica, steps: Int, writeSize: (inout SplitMix64) -> Int) throws {
        for step in 0..<steps {
            switch random.next() % 10 {
            case 5:
                // A person's `set`: a value the field holds writes nothing, on both alike
                let single = change(step, unusual: false)
                let viaLeft = Result { try left.set(single, at: Int64(step)) }
                let viaRight = Result { try right.set(single, at: Int64(step)) }
                #expect("\(viaLeft)" == "\(viaRight)", "seed \(seed) step \(step)")
            case 0..<5:
                let batch = (0..<writeSize(&random)).map { _ in change(step, unusual: true) }
                let viaLeft = Result { try left.write(batch, at: Int64(step)) }
                let viaRight = Result { try right.write(batch, at: Int64(step)) }
                #expect("\(viaLeft)" == "\(viaRight)", "seed \(seed) step \(step)")
            case 6:
                // The peer edits too, having seen some of these versions; refused when a record
                // turned out a signal here, it just does not write.
                if random.next() % 2 == 0 { _ = try? peer.store.apply(try right.pending()) }
                _ = try? peer.write((0..<Int(random.next() % 3) + 1).map { _ in change(step, unusual: false) }, at: Int64(step))
            case 7, 8:
                let versions = try peer.pending()
                let page = Array(versions[delivered...])
                delivered = versions.count
                // A peer's cell version of a record made a signal here is refused by both alike.
                let viaLeft = Result { try left.store.apply(page) }
                let viaRight = Result { try right.store.apply(page) }
                #expect("\(viaLeft)" == "\(viaRight)", "seed \(seed) step \(step)")
            default:
                let record = records[Int(random.next() % UInt64(records.count))]
                #expect(try left.store.record(record) == right.store.record(record), "seed \(seed) step \(step)")
            }
        }
        #expect(try left.store.canonicalDump() == right.store.canonicalDump(), "seed \(seed)")
        #expect(try left.store.conflicts().map(\.id) == right.store.conflicts().map(\.id), "seed \(seed)")
    }
}
