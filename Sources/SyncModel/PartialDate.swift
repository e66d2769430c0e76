/// An ISO 8601 partial date: year, year-month, or year-month-day.
public struct PartialDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int?
    public var day: Int?

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }),
              parts[0].count == 4, let year = Int(parts[0]), year >= 1 else { return nil }
        var month: Int?
        var day: Int?
        if parts.count >= 2 {
            guard parts[1].count == 2, let value = Int(parts[1]), (1...12).contains(value) else { return nil }
            month = value
        }
        if parts.count == 3, let month {
            guard parts[2].count == 2, let value = Int(parts[2]),
                  (1...PartialDate.daysIn(month: month, year: year)).contains(value) else { return nil }
            day = value
        }
        self.year = year
        self.month = month
        self.day = day
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String {
        var text = Padding.digits(year, width: 4)
        if let month { text += "-" + Padding.digits(month, width: 2) }
        if let day { text += "-" + Padding.digits(day, width: 2) }
        return text
    }

    /// Orders by year, then month, then day; a less precise date sorts before a precise one in the same period.
    public static func < (lhs: PartialDate, rhs: PartialDate) -> Bool {
        (lhs.year, lhs.month ?? 0, lhs.day ?? 0) < (rhs.year, rhs.month ?? 0, rhs.day ?? 0)
    }
}

enum Padding {
    static func digits(_ value: Int, width: Int) -> String {
        let text = "\(value)"
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

extension PartialDate {
    /// The first day the date covers (2026-02 → 2026-02-01).
    public var firstDay: PartialDate {
        var copy = self
        copy.month = month ?? 1
        copy.day = day ?? 1
        return copy
    }

    /// The last day the date covers (2026-02 → 2026-02-28).
    public var lastDay: PartialDate {
        var copy = self
        copy.month = month ?? 12
        copy.day = day ?? PartialDate.daysIn(month: copy.month!, year: year)
        return copy
    }
}
