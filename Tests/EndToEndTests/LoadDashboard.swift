import Foundation
import TestSupport

/// Dashboard files of many signals, for tests that need syncs of many pages.
enum LoadDashboard {
    /// Writes a dashboard of `signals` signals (about 7 versions each when imported), with ids
    /// and text drawn from `random`, and returns its path.
    static func write(in workspace: Workspace, signals: Int, tag: String, random: inout SplitMix64) throws -> String {
        var records: [[String: Any]] = []
        for index in 0..<signals {
            records.append([
                "id": HistoryGenerator.uuid(&random),
                "fields": [
                    "date": "2026-\(String(format: "%02d", 1 + index % 12))-\(String(format: "%02d", 1 + index % 28))",
                    "title": "\(tag) signal \(index) \(random.next() % 100_000)",
                    "direction": ["Advancing", "Holding", "Drifting", "Reversing"][index % 4],
                    "source": "source \(random.next() % 1000)",
                    "cells": [String(16 + index % 6)],
                    "body": "Body of \(tag) signal \(index).\n\nSecond paragraph \(random.next()).",
                ] as [String: Any],
            ])
        }
        let file: [String: Any] = ["format": "field-sync-dashboard", "version": 1, "cells": [], "signals": records]
        let path = workspace.path("\(tag).json")
        try JSONSerialization.data(withJSONObject: file, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        return path
    }
}
