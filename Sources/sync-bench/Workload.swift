import LocalStore
import SyncModel

/// The benchmark's writes: register and prose edits spread over cells, like an analyst's day.
enum Workload {
    static func changes(count: Int) -> [FieldChange] {
        var random = SystemRandomNumberGenerator()
        let records = (0..<max(1, count / 10)).map { _ in RecordID.random() }
        let fields: [(String, (Int) -> FieldValue)] = [
            ("title", { .text("Cell title \($0)") }),
            ("trend", { .text("Improving with execution-tempo variation \($0)") }),
            ("number", { .int(Int64($0)) }),
            ("tier", { .text("Tier \($0 % 5)") }),
        ]
        return (0..<count).map { index in
            let (field, value) = fields[index % fields.count]
            return FieldChange(record: records[Int.random(in: 0..<records.count, using: &random)], kind: "cell", field: field, value: value(index))
        }
    }
}
