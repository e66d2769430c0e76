import Foundation
import Testing

/// The built executables, found beside the test bundle (`swift test` builds every product).
enum Binaries {
    static let directory: URL = {
        #if os(Linux)
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        #else
        return Bundle.main.bundleURL.deletingLastPathComponent()
        #endif
    }()

    /// A binary built beside the tests, or any program named by an absolute path.
    static func path(_ name: String) throws -> String {
        if name.hasPrefix("/") { return name }
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(name) is not built at \(path); run `swift build` before `swift test`")
        }
        return path
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A temporary folder holding one test's databases; removed afterwards.
final class Workspace {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("field-sync-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Runs an executable to completion, capturing its output through files (no pipe deadlocks).
    @discardableResult
    func run(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try start(binary, arguments, environment: environment).wait()
    }

    /// Starts an executable in the background; ``RunningCommand/wait()`` collects its result.
    func start(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) throws -> RunningCommand {
        let id = UUID().uuidString
        let command = RunningCommand(outPath: path("out-\(id)"), errPath: path("err-\(id)"))
        _ = FileManager.default.createFile(atPath: command.outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: command.errPath, contents: nil)
        let process = command.process
        process.executableURL = URL(fileURLWithPath: try Binaries.path(binary))
        process.arguments = arguments
        process.currentDirectoryURL = url
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value.isEmpty ? nil : value }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: command.outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: command.errPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return command
    }
}

/// A command started in the background.
final class RunningCommand {
    let process = Process()
    let outPath: String
    let errPath: String

    init(outPath: String, errPath: String) {
        self.outPath = outPath
        self.errPath = errPath
    }

    /// Sends `signal` (SIGKILL by default) and waits for the process to end.
    func kill(_ signal: Int32 = SIGKILL) {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
        process.waitUntilExit()
    }

    func wait() -> CommandResult {
        process.waitUntilExit()
        let result = CommandResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        )
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
        return result
    }
}

/// A real `sync-server` process on a free port of 127.0.0.1, stopped with SIGTERM.
final class ServerProcess {
    let process = Process()
    let url: String
    let database: String
    /// The server's standard error (its log).
    let logPath: String
    private let workspace: Workspace

    init(workspace: Workspace, database: String = "server.sqlite", port: Int = 0, extraArguments: [String] = []) throws {
        self.workspace = workspace
        self.database = database.hasPrefix("postgres://") ? database : workspace.path(database)
        logPath = workspace.path("server-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: try Binaries.path("sync-server"))
        process.arguments = ["serve", "--db", self.database, "--create", "--host", "127.0.0.1", "--port", String(port)] + extraArguments
        process.currentDirectoryURL = workspace.url
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        // The first line says where it listens.
        var buffer = Data()
        let deadline = Date().addingTimeInterval(30)
        while !buffer.contains(UInt8(ascii: "\n")) {
            guard Date() < deadline, process.isRunning else {
                throw HarnessError("sync-server did not start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        guard let range = line.range(of: #"https?://127\.0\.0\.1:\d+"#, options: .regularExpression) else {
            throw HarnessError("unexpected first line from sync-server: \(line)")
        }
        url = String(line[range])
        self.port = Int(url.split(separator: ":").last!)!
    }

    let port: Int

    /// A new analyst `name` with a replica of their own, made by the real binaries.
    func client(_ name: String) throws -> Client {
        try Client(workspace: workspace, name: name, server: self, token: try addAnalyst(name))
    }

    /// Adds an analyst through the real CLI and returns the printed token.
    func addAnalyst(_ name: String) throws -> String {
        let result = try workspace.run("sync-server", ["analyst", "add", name, "--db", database])
        guard result.status == 0 else { throw HarnessError("analyst add failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Kills the process without warning (SIGKILL), as a crash or power cut would.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the log holds `marker` at least `count` times.
    func waitForLog(_ marker: String, count: Int = 1, timeout: TimeInterval = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while log.components(separatedBy: marker).count - 1 < count {
            guard Date() < deadline, process.isRunning else {
                throw HarnessError("the server never logged '\(marker)' \(count) times; its log:\n\(log.suffix(2000))")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    deinit { stop() }
}

/// One analyst's replica, driven through the real `sync-client`.
struct Client {
    let workspace: Workspace
    let replica: String

    init(workspace: Workspace, name: String, server: ServerProcess, token: String) throws {
        self.workspace = workspace
        replica = workspace.path("\(name).sqlite")
        let created = try workspace.run("sync-client", ["init", "--replica", replica, "--server", server.url, "--token", token])
        guard created.status == 0 else { throw HarnessError("init failed: \(created.stderr)") }
    }

    /// A client for a replica file that already exists.
    init(workspace: Workspace, replica: String) {
        self.workspace = workspace
        self.replica = replica
    }

    /// Runs a command that must succeed and returns its standard output.
    @discardableResult
    func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try workspace.run("sync-client", arguments + ["--replica", replica])
        #expect(result.status == 0, "sync-client \(arguments.joined(separator: " ")) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Runs a command that must fail and returns its result.
    func fails(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandResult {
        let result = try workspace.run("sync-client", arguments + ["--replica", replica])
        #expect(result.status != 0, "sync-client \(arguments.joined(separator: " ")) should have failed", sourceLocation: sourceLocation)
        return result
    }

    func json(_ arguments: String...) throws -> Any {
        let result = try workspace.run("sync-client", arguments + ["--json", "--replica", replica])
        guard result.status == 0 else { throw HarnessError("sync-client \(arguments) failed: \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }
}
