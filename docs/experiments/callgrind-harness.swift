// Counts the instructions of one batch of local writes under callgrind (see
// docs/performance-notes.md). valgrind crashes on any Swift program with an async
// main, and cannot read DWARF 5, so this is a plain top-level program built with DWARF 4:
//
//   mkdir Sources/callgrind-harness && cp docs/experiments/callgrind-harness.swift Sources/callgrind-harness/main.swift
//   # in Package.swift's targets, for the measurement only:
//   #   .executableTarget(name: "callgrind-harness", dependencies: ["SyncModel", "LocalStore"]),
//   swift build -c release --scratch-path .build-dw4 -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4 --product callgrind-harness
//   valgrind --tool=callgrind --callgrind-out-file=cg.out .build-dw4/release/callgrind-harness 50000
//   callgrind_annotate --inclusive=yes cg.out | swift demangle --simplified | grep 'Replica.write'
//
// The rows are sync-bench local-writes' (the same generator and seed). Compare two commits by
// the inclusive count of `Replica.write`; a clean build of the scratch path takes about ten
// minutes, later ones only recompile what changed.
import Foundation
import LocalStore
import SyncModel

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 50_000 : 50_000
var random = SplitMix(state: 1)
let records = (0..<max(1, count / 10)).map { _ in RecordID(bytes: (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) })! }
let fields: [(String, (Int) -> FieldValue)] = [
    ("title", { .text("Cell title \($0)") }),
    ("trend", { .text("Improving with execution-tempo variation \($0)") }),
    ("tier", { .text("Tier \($0 % 5)") }),
    ("number", { .int(Int64($0)) }),
]
let rows = (0..<count).map { index in
    let (field, value) = fields[index % fields.count]
    return FieldChange(record: records[Int(random.next() % UInt64(records.count))], kind: "cell", field: field, value: value(index))
}
let path = NSTemporaryDirectory() + "callgrind-harness-\(getpid()).sqlite"
defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
let replica = try Replica.create(path: path, settings: ReplicaSettings(server: "http://127.0.0.1:1", token: "a.b", analyst: "alice"))
let start = ContinuousClock.now
try replica.write(rows, at: 1)
print("\(count) writes in \(ContinuousClock.now - start)")
