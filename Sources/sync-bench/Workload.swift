import LocalStore
import SyncModel

/// The benchmark's writes: small register edits spread over cells, like an analyst's day.
enum Workload {
    /// `count` edits over `count / 10` records; `numbered` includes the cells' `number` field.
    static func changes(count: Int, numbered: Bool = true, seed: UInt64 = 1) -> [FieldChange] {
        var random = BenchRandom(seed: seed)
        let records = (0..<max(1, count / 10)).map { _ in RecordID(bytes: (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) })! }
        var fields: [(String, (Int) -> FieldValue)] = [
            ("title", { .text("Cell title \($0)") }),
            ("trend", { .text("Improving with execution-tempo variation \($0)") }),
            ("tier", { .text("Tier \($0 % 5)") }),
        ]
        if numbered { fields.append(("number", { .int(Int64($0)) })) }
        return (0..<count).map { index in
            let (field, value) = fields[index % fields.count]
            return FieldChange(record: records[Int(random.next() % UInt64(records.count))], kind: "cell", field: field, value: value(index))
        }
    }
}

/// SplitMix64: the same seed gives the same workload in every run.
struct BenchRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
