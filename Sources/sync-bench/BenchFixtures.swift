import Foundation
import GRDB
import LocalStore
import SyncModel
import SyncProtocol
import SyncServerCore

/// A scratch folder for one benchmark run, removed afterwards.
final class BenchFolder {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

enum BenchFixtures {
    static let settings = ReplicaSettings(server: "http://127.0.0.1:1", token: "bench.unused-token-for-local-files", analyst: "bench")

    /// A replica file holding `versions` of its own versions over `versions / 10` records
    /// (cell 20 among them), written in batches as an analyst's months of work would be.
    static func replica(at path: String, versions: Int, analyst: String = "bench") throws -> Replica {
        let replica = try Replica.create(path: path, settings: ReplicaSettings(server: settings.server, token: settings.token, analyst: analyst))
        let cell20 = RecordID.random()
        try replica.write([FieldChange(record: cell20, kind: "cell", field: "number", value: .int(20)),
                           FieldChange(record: cell20, kind: "cell", field: "title", value: .text("Burden-Sharing"))], at: 1)
        var written = 2
        var batchIndex = 0
        while written < versions {
            let count = min(50_000, versions - written)
            try replica.write(Workload.changes(count: count, numbered: false, seed: UInt64(batchIndex)), at: WallClock.now())
            written += count
            batchIndex += 1
        }
        return replica
    }

    /// A copy of the closed replica file at `path`, made the replica of another analyst with an
    /// id of its own: it holds every version the original holds, as a colleague's replica does
    /// after a sync, so its writes supersede the heads they overwrite.
    static func otherAnalyst(copying path: String, to copy: String, analyst: String) throws -> Replica {
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let file = try DatabaseQueue(path: copy)
        try file.write { db in
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key IN ('replica_id', 'own_replicas')", arguments: [ReplicaID.random().rawValue])
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'analyst'", arguments: [analyst])
        }
        try file.close()
        return try Replica.open(path: copy)
    }

    /// Syncs `replica` with the server store in process, as its pushes would, so that both hold
    /// the same versions and the replica knows the server has them.
    static func seed(_ server: SQLiteServerStore, analyst: String, from replica: Replica) async throws {
        var session = SyncDriver(replica: replica, pushPageSize: 20_000, pullPageSize: 20_000)
        try await session.run(over: InProcessTransport(store: server, analyst: analyst))
    }

    /// The executables built beside this benchmark (`swift build -c release --static-swift-stdlib` builds them all).
    static func binary(_ name: String) throws -> String {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("\(name) is not built beside sync-bench at \(path); run `swift build -c release --static-swift-stdlib` (all products) first")
        }
        return path
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A real `sync-server` process on a free port of 127.0.0.1.
final class BenchServer {
    let process = Process()
    let url: String
    /// The port of `url`.
    let port: Int

    /// `log`, a file the server's log lines go to (one per request); none by default.
    init(database: String, arguments: [String] = [], log: String? = nil) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: try BenchFixtures.binary("sync-server"))
        process.arguments = ["serve", "--db", database, "--port", "0"] + arguments
        process.standardOutput = output
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        var buffer = Data()
        let deadline = Date().addingTimeInterval(30)
        while !buffer.contains(UInt8(ascii: "\n")) {
            guard Date() < deadline, process.isRunning else { throw BenchError("sync-server did not start") }
            buffer.append(output.fileHandleForReading.availableData)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        guard let range = line.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) else {
            throw BenchError("unexpected first line from sync-server: \(line)")
        }
        url = String(line[range])
        guard let port = url.split(separator: ":").last.flatMap({ Int($0) }) else { throw BenchError("no port in \(url)") }
        self.port = port
    }

    /// The server's peak resident memory so far, in bytes.
    var peakMemory: Int { ProcessMemory.peak(pid: process.processIdentifier) }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }
}

enum ProcessMemory {
    /// `VmHWM` of a running process, in bytes.
    static func peak(pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }
}

/// Runs an executable to completion and returns its wall time in seconds, its peak resident
/// memory in bytes (sampled every 10 ms) and its output.
/// What ``runTimed(_:_:allowFailure:)`` measured of one process.
typealias TimedRun = (seconds: Double, cpuSeconds: Double, peakMemory: Int, output: String)

/// `binary` is one built beside this benchmark, or an absolute path; a non-zero exit throws
/// unless `allowFailure`.
func runTimed(_ binary: String, _ arguments: [String], allowFailure: Bool = false) throws -> TimedRun {
    let path = binary.hasPrefix("/") ? binary : try BenchFixtures.binary(binary)
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("sync-bench-out-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let start = ContinuousClock.now
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard spawned == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(spawned)))") }
    // The child's own high-water mark (VmHWM), read every 10 ms until it exits. wait4's ru_maxrss
    // cannot serve: with posix_spawn's vfork it also counts this benchmark's own memory.
    let peak = PeakSampler(pid: pid)
    let sampler = Thread { peak.run() }
    sampler.start()
    var status: Int32 = 0
    var usage = rusage()
    _ = wait4(pid, &status, 0, &usage)
    let elapsed = seconds(ContinuousClock.now - start)
    // The child's own CPU time, user and system (unlike ru_maxrss, not shared with this process).
    let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    let peakMemory = peak.stop()
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    guard status == 0 || allowFailure else { throw BenchError("\(binary) \(arguments.joined(separator: " ")) failed (status \(status)): \(output)") }
    return (elapsed, cpu, peakMemory, output)
}

/// Polls a process's `VmHWM` until told to stop; keeps the highest reading.
final class PeakSampler: @unchecked Sendable {
    let pid: Int32
    private let lock = NSLock()
    private var peak = 0
    private var stopped = false

    init(pid: Int32) { self.pid = pid }

    func run() {
        while !lock.withLock({ stopped }) {
            let reading = ProcessMemory.peak(pid: pid)
            lock.withLock { peak = max(peak, reading) }
            usleep(10_000)
        }
    }

    func stop() -> Int {
        lock.withLock {
            stopped = true
            return peak
        }
    }
}

/// `sync-client sync --json` with `arguments` after it: the answer it printed (after any
/// progress lines) and the wall time, process start included.
func syncJSON(_ arguments: [String]) throws -> (answer: [String: Any], seconds: Double) {
    let run = try runTimed("sync-client", ["sync", "--json"] + arguments)
    guard let start = run.output.firstIndex(of: "{"),
          let answer = try JSONSerialization.jsonObject(with: Data(run.output[start...].utf8)) as? [String: Any] else {
        throw BenchError("sync --json printed no answer: \(run.output.prefix(300))")
    }
    return (answer, run.seconds)
}
