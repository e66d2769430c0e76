import LocalStore
import SyncModel

/// A cell's signals on a time line, drawn on the server as inline SVG (no script, no library):
/// one dot a signal at its date, coloured by its direction, its title as the dot's tooltip.
enum SignalTimeline {
    static let colours = ["Advancing": "#2e7d32", "Holding": "#607d8b", "Drifting": "#ef6c00", "Reversing": "#c62828"]

    /// The SVG, or an empty string when no signal has a date.
    static func svg(_ signals: [RecordSnapshot], width: Int = 720, height: Int = 64) -> String {
        let dated = signals.compactMap { signal -> (day: Int, date: String, signal: RecordSnapshot)? in
            guard let date = signal.text("date"), let day = day(date) else { return nil }
            return (day, date, signal)
        }.sorted { $0.day < $1.day }
        guard let earliest = dated.first, let latest = dated.last else { return "" }
        let first = earliest.day, span = max(1, latest.day - first), margin = 12, axis = height - 20
        let from = WebPage.escape(earliest.date), to = WebPage.escape(latest.date)
        var parts = [##"<svg class="timeline" role="img" viewBox="0 0 \##(width) \##(height)" xmlns="http://www.w3.org/2000/svg">"##,
                     ##"<title>Signals from \##(from) to \##(to)</title>"##,
                     ##"<line x1="\##(margin)" y1="\##(axis)" x2="\##(width - margin)" y2="\##(axis)" stroke="#99a" stroke-width="1"/>"##]
        for (index, entry) in dated.enumerated() {
            let x = margin + (width - 2 * margin) * (entry.day - first) / span
            let y = axis - 10 - (index % 3) * 12
            let direction = entry.signal.text("direction") ?? ""
            let label = "\(entry.date) \(entry.signal.text("title") ?? "") (\(direction.isEmpty ? "no direction" : direction))"
            parts.append(##"<circle cx="\##(x)" cy="\##(y)" r="5" fill="\##(colours[direction] ?? "#99a")"><title>\##(WebPage.escape(label))</title></circle>"##)
        }
        parts.append(##"<text x="\##(margin)" y="\##(height - 4)" font-size="11" fill="#556">\##(from)</text>"##)
        parts.append(##"<text x="\##(width - margin)" y="\##(height - 4)" font-size="11" fill="#556" text-anchor="end">\##(to)</text>"##)
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
