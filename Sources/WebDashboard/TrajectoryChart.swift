import SyncClientCore
import SyncModel

/// A cell's trajectory over time, from its history, as inline SVG: a step line through the four
/// labels (Advancing at the top, Reversing at the bottom), one point a version, each point's
/// author, time and trend in its tooltip; below it, a tick for each change of the trend, with
/// the new trend in its tooltip; under both, a time axis of its own, dated by the versions'
/// times (when each change was written), since these are not the signals' dates.
enum TrajectoryChart {
    /// The SVG for `versions` of the trajectory field (any order), or "" with fewer than one.
    static func svg(trajectory versions: [Version], trend: [Version], width: Int = 720, height: Int = 180) -> String {
        let points = versions.filter { $0.value.text != nil }.sorted { ($0.time, $0.dot) < ($1.time, $1.dot) }
        guard let first = points.first?.time, let last = points.last?.time else { return "" }
        let labels = RecordSchema.trajectoryLabels
        let trendPoints = trend.filter { $0.value.text != nil && $0.time >= first }.sorted { ($0.time, $0.dot) < ($1.time, $1.dot) }
        let end = max(last, trendPoints.last?.time ?? last)
        let span = max(1, end - first), margin = 90, top = 26, row = (height - top - 70) / max(1, labels.count - 1)
        func y(_ label: String) -> Int { top + (labels.firstIndex(of: label) ?? labels.count - 1) * row }
        func x(_ time: Int64) -> Int { margin + Int(Int64(width - margin - 12) * (time - first) / span) }
        var parts = [##"<svg class="trajectory" role="img" viewBox="0 0 \##(width) \##(height)" xmlns="http://www.w3.org/2000/svg"><title>Trajectory over time</title>"##,
                     ##"<text class="caption" x="4" y="14" font-size="12" fill="#1d232a">Trajectory: each change of the field, placed at the time its version was written</text>"##]
        for label in labels {
            parts.append(##"<text x="4" y="\##(y(label) + 4)" font-size="11" fill="#556">\##(label)</text><line x1="\##(margin)" y1="\##(y(label))" x2="\##(width - 12)" y2="\##(y(label))" stroke="#e3e3ea"/>"##)
        }
        var path: [String] = []
        for (index, version) in points.enumerated() {
            let label = version.value.text ?? ""
            path.append(index == 0 ? "M\(x(version.time)),\(y(label))" : "H\(x(version.time)) V\(y(label))")
        }
        if let end = points.last { path.append("H\(max(x(end.time), width - 12))") }
        parts.append(##"<path d="\##(path.joined(separator: " "))" fill="none" stroke="#1d232a" stroke-width="2"/>"##)
        for version in points {
            let trendThen = trend.filter { $0.time <= version.time }.max { ($0.time, $0.dot) < ($1.time, $1.dot) }?.value.text
            let tip = "\(version.value.text ?? "") · \(version.author) · \(TextOutput.humanTime(version.time))" + (trendThen.map { " · trend: \($0)" } ?? "")
            parts.append(##"<circle cx="\##(x(version.time))" cy="\##(y(version.value.text ?? ""))" r="4" fill="\##(SignalTimeline.colours[version.value.text ?? ""] ?? "#99a")"><title>\##(WebPage.escape(tip))</title></circle>"##)
        }
        let ticks = top + (labels.count - 1) * row + 22
        parts.append(axis(first: first, end: end, x: x, y: ticks + 16, width: width, margin: margin))
        parts.append(##"<text x="4" y="\##(ticks + 4)" font-size="11" fill="#556">Trend</text>"##)
        for version in trendPoints {
            let tip = "trend: \(version.value.text ?? "") · \(version.author) · \(TextOutput.humanTime(version.time))"
            parts.append(##"<line class="trend" x1="\##(x(version.time))" y1="\##(ticks - 6)" x2="\##(x(version.time))" y2="\##(ticks + 6)" stroke="#1d232a" stroke-width="2"><title>\##(WebPage.escape(tip))</title></line>"##)
        }
        return parts.joined() + "</svg>"
    }

    /// The time axis at `y`: a line, and the date of its start, end and three points between,
    /// with the hour when the whole span is under two days.
    static func axis(first: Int64, end: Int64, x: (Int64) -> Int, y: Int, width: Int, margin: Int) -> String {
        let short = end - first < 2 * 86_400_000
        var parts = [##"<g class="time-axis"><line x1="\##(margin)" y1="\##(y)" x2="\##(width - 12)" y2="\##(y)" stroke="#556"/>"##,
                     ##"<text x="4" y="\##(y + 4)" font-size="11" fill="#556">Written</text>"##]
        let steps: [Int64] = end == first ? [0] : [0, 1, 2, 3, 4]
        for step in steps {
            let time = first + (end - first) * step / 4
            let human = TextOutput.humanTime(time)
            let label = short ? String(human.dropFirst(5).prefix(11)) : String(human.prefix(10))
            let anchor = step == 0 ? "start" : step == 4 ? "end" : "middle"
            parts.append(##"<line x1="\##(x(time))" y1="\##(y - 3)" x2="\##(x(time))" y2="\##(y + 3)" stroke="#556"/>"##)
            parts.append(##"<text class="tick" x="\##(x(time))" y="\##(y + 16)" font-size="11" text-anchor="\##(anchor)" fill="#556">\##(WebPage.escape(label))</text>"##)
        }
        return parts.joined() + "</g>"
    }
}
