import Foundation

/// The printed result: each figure next to its reference and the ratio.
struct BenchTable {
    private var rows: [[String]] = []

    /// A throughput next to its reference throughput; the ratio is measured / reference.
    mutating func add(_ name: String, rate: Double, reference: Double, unit: String, referenceName: String) {
        rows.append([name, format(rate) + " " + unit, format(reference) + " " + unit + " (" + referenceName + ")", String(format: "%.2f", rate / reference)])
    }

    /// A cost next to its reference cost; the ratio is measured / reference (1.00 is flat).
    /// A reference that prints as zero has no ratio ("–"): 0.5 against a printed 0.0 would show
    /// a ratio of 60 for a reference of 0.008, which no reader could check against the row.
    mutating func add(_ name: String, cost: Double, reference: Double, unit: String, referenceName: String, digits: Int = 1) {
        let suffix = unit.isEmpty ? "" : " " + unit
        let shown = String(format: "%.\(digits)f", reference)
        rows.append([name, String(format: "%.\(digits)f", cost) + suffix, shown + suffix + " (" + referenceName + ")",
                     Double(shown) == 0 ? "–" : String(format: "%.2f", cost / reference)])
    }

    /// A figure with no reference measured here (the target is stated instead).
    mutating func add(_ name: String, value: String, target: String) {
        rows.append([name, value, target, ""])
    }

    func format(_ value: Double) -> String {
        let rounded = Int(value.rounded())
        var digits = String(rounded)
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: digits.index(digits.startIndex, offsetBy: index))
            index -= 3
        }
        return digits
    }

    func render() -> String {
        let all = [["scenario", "measured", "reference", "ratio"]] + rows
        let widths = (0..<4).map { column in all.map { $0[column].count }.max()! }
        return all.map { row in
            let line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: " | ")
            return String(line.reversed().drop { $0 == " " }.reversed())
        }.joined(separator: "\n")
    }
}

func megabytes(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1_048_576) }
