package import LocalStore
import SyncModel

/// One line of `dashboard`: a cell with its backlog figures and open conflicts.
package struct DashboardRow: Encodable, Equatable, Sendable {
    package var id: String
    package var number: Int64?
    package var title: String?
    package var trajectory: String?
    package var trend: String?
    package var lastAssessed: String?
    package var signals: Int
    package var newestSignal: String?
    /// Open conflicts on the cell's fields, plus one when another live cell has its number
    /// (`conflicts` lists that too).
    package var openConflicts: Int
    /// Whether another live cell has this number: each answers only to its id until one is
    /// renumbered or deleted.
    package var sharedNumber: Bool = false

    /// Every live cell by number, with the signals that touch it.
    package static func rows(cells: [RecordSnapshot], signals: [RecordSnapshot]) -> [DashboardRow] {
        var byCell: [String: [PartialDate?]] = [:]
        for signal in signals {
            for cell in signal.list("cells") { byCell[cell, default: []].append(signal.text("date").flatMap(PartialDate.init)) }
        }
        let holders = Dictionary(grouping: cells.compactMap { $0.value("number").int }, by: { $0 }).mapValues(\.count)
        return cells.map { cell in
            let number = cell.value("number").int
            let dates = number.flatMap { byCell[String($0)] } ?? []
            let shared = number.map { holders[$0, default: 0] > 1 } ?? false
            return DashboardRow(
                id: cell.id.rawValue, number: number, title: cell.text("title"), trajectory: cell.text("trajectory"),
                trend: cell.text("trend"), lastAssessed: cell.text("lastAssessed"), signals: dates.count,
                newestSignal: dates.compactMap { $0 }.max()?.description, openConflicts: cell.conflicts.count + (shared ? 1 : 0),
                sharedNumber: shared
            )
        }.sorted { ($0.number ?? .max, $0.id) < ($1.number ?? .max, $1.id) }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(number, forKey: .number)
        try container.encode(title, forKey: .title)
        try container.encode(trajectory, forKey: .trajectory)
        try container.encode(trend, forKey: .trend)
        try container.encode(lastAssessed, forKey: .lastAssessed)
        try container.encode(signals, forKey: .signals)
        try container.encode(newestSignal, forKey: .newestSignal)
        try container.encode(openConflicts, forKey: .openConflicts)
        try container.encode(sharedNumber, forKey: .sharedNumber)
    }

    enum CodingKeys: String, CodingKey {
        case id, number, title, trajectory, trend, lastAssessed, signals, newestSignal, openConflicts, sharedNumber
    }
}
