/// A few figures about a sequence of lines, shown where two texts are too far apart to diff.
enum LineSummary {
    /// "200,000 lines, 1,048,575 bytes" and, against a base, how many of its lines the base has
    /// too (counted as a multiset, in one pass: it must stay cheap on the largest values).
    static func describe(_ lines: [String], against base: [String]?) -> String {
        let bytes = lines.reduce(0) { $0 + $1.utf8.count } + max(0, lines.count - 1)
        var text = "\(grouped(lines.count)) line\(lines.count == 1 ? "" : "s"), \(grouped(bytes)) byte\(bytes == 1 ? "" : "s")"
        if let base, !lines.isEmpty {
            var remaining: [String: Int] = [:]
            for line in base { remaining[line, default: 0] += 1 }
            var shared = 0
            for line in lines {
                if let count = remaining[line], count > 0 {
                    remaining[line] = count - 1
                    shared += 1
                }
            }
            text += "; \(grouped(shared)) of its lines are in the base"
        }
        return text
    }

    /// 1048575 as "1,048,575".
    static func grouped(_ number: Int) -> String {
        let digits = Array(String(number))
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }
}
