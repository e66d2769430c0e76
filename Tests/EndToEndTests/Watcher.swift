import Foundation
import GRDB

/// A `sync-client sync --watch --json` running in the background on a replica.
final class Watcher {
    let client: Client
    let command: RunningCommand

    init(_ client: Client, _ arguments: [String] = []) throws {
        self.client = client
        command = try client.workspace.start("sync-client", ["sync", "--watch", "--json", "--replica", client.replica] + arguments)
    }

    /// The events printed so far, one JSON object a line.
    var events: [[String: Any]] {
        let text = (try? String(contentsOfFile: command.outPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// How many events named `name` were printed.
    func count(_ name: String) -> Int { events.filter { $0["event"] as? String == name }.count }

    /// Waits until `count` events named `name` were printed.
    func waitFor(_ name: String, count: Int = 1, timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while self.count(name) < count {
            guard Date() < deadline, command.process.isRunning else {
                throw HarnessError("the watch of \(client.replica) printed \(self.count(name)) '\(name)' events, not \(count): \((try? String(contentsOfFile: command.outPath, encoding: .utf8)) ?? "")\((try? String(contentsOfFile: command.errPath, encoding: .utf8)) ?? "")")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Sends SIGTERM and waits for the process to end; returns how long that took and its output.
    func stop() -> (seconds: Double, result: CommandResult) {
        let started = Date()
        if command.process.isRunning { kill(command.process.processIdentifier, SIGTERM) }
        command.process.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)
        return (seconds, command.wait())
    }

    deinit {
        if command.process.isRunning { command.kill() }
    }
}

extension FileCheck {
    /// The highest counter of `replica`'s versions that the file at `path` holds (0 for none).
    static func held(_ path: String, replica: String, queue: DatabaseQueue? = nil) throws -> Int {
        let queue = try queue ?? DatabaseQueue(path: path)
        return try queue.read { db in
            try Int.fetchOne(db, sql: """
                SELECT coalesce(max(v.counter), 0) FROM version v JOIN replica r ON r.id = v.replica WHERE r.uuid = ?
                """, arguments: [replica]) ?? 0
        }
    }
}

/// Percentiles of a sample, for the latency tests' lines.
func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
}
