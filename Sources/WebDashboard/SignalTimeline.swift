import LocalStore
import SyncModel

/// A cell's signals on a time line, drawn on the server as inline SVG (no script, no library):
/// one dot a signal at its date, coloured by its direction, its title as the dot's tooltip.
enum SignalTimeline {
    static let colours = ["Advancing": "#2e7d32", "Holding": "#607d8b", "Drifting": "#ef6c00", "Reversing": "#c62828"]

    /// The SVG, or an empty string when no signal has a date.
    static func svg(_ signals: [RecordSnapshot], width: Int = 720, height: Int = 64) -> String {
        let dated = signals.compactMap { signal -> (day: Int, signal: RecordSnapshot)? in
            guard let date = signal.text("date"), let day = day(date) else { return nil }
            return (day, signal)
        }
        guard let first = dated.map(\.day).min(), let last = dated.map(\.day).max() else { return "" }
        let span = max(1, last - first), margin = 12, axis = height - 20
        var parts = [##"<svg class="timeline" role="img" viewBox="0 0 \##(width) \##(height)" xmlns="http://www.w3.org/2000/svg">"##,
                     ##"<title>Signals from \##(WebPage.escape(dated.min { $0.day < $1.day }!.signal.text("date")!)) to \##(WebPage.escape(dated.max { $0.day < $1.day }!.signal.text("date")!))</title>"##,
                     ##"<line x1="\##(margin)" y1="\##(axis)" x2="\##(width - margin)" y2="\##(axis)" stroke="#99a" stroke-width="1"/>"##]
        for (index, entry) in dated.sorted(by: { $0.day < $1.day }).enumerated() {
            let x = margin + (width - 2 * margin) * (entry.day - first) / span
            let y = axis - 10 - (index % 3) * 12
            let direction = entry.signal.text("direction") ?? ""
            let label = "\(entry.signal.text("date") ?? "") \(entry.signal.text("title") ?? "") (\(direction.isEmpty ? "no direction" : direction))"
            parts.append(##"<circle cx="\##(x)" cy="\##(y)" r="5" fill="\##(colours[direction] ?? "#99a")"><title>\##(WebPage.escape(label))</title></circle>"##)
        }
        parts.append(##"<text x="\##(margin)" y="\##(height - 4)" font-size="11" fill="#556">\##(WebPage.escape(dated.min { $0.day < $1.day }!.signal.text("date")!))</text>"##)
        parts.append(##"<text x="\##(width - margin)" y="\##(height - 4)" font-size="11" fill="#556" text-anchor="end">\##(WebPage.escape(dated.max { $0.day < $1.day }!.signal.text("date")!))</text>"##)
        return parts.joined() + "</svg>"
    }

    /// A partial date as a day count (a missing month or day counts as the first).
    static func day(_ date: String) -> Int? {
        let parts = date.split(separator: "-").map { Int($0) }
        guard let year = parts.first ?? nil else { return nil }
        let month = parts.count > 1 ? (parts[1] ?? 1) : 1, day = parts.count > 2 ? (parts[2] ?? 1) : 1
        return year * 372 + (month - 1) * 31 + (day - 1)
    }
}
