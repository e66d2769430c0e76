import Foundation
import Glibc

/// A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` into a temporary folder, `pg_ctl` on a
/// free loopback port, stopped and removed when the test process exits. One cluster serves
/// every test of a process; each test takes a fresh database of its own. As root, the server's
/// programs run as the `postgres` user (PostgreSQL refuses to run as root).
package final class PostgresCluster: @unchecked Sendable {
    package let port: Int
    let folder: String
    /// The programs' folder (initdb, pg_ctl, psql).
    let binaries: String
    private let lock = NSLock()
    private var databases = 0

    /// Why the cluster could not start, with what to do about it.
    package struct Unavailable: Error, CustomStringConvertible {
        package var description: String
    }

    /// The cluster of this test process, started on first use.
    package static func shared() throws -> PostgresCluster {
        try startOnce.get()
    }

    /// The same, waiting off Swift's cooperative threads: starting a cluster runs `initdb`
    /// and `pg_ctl` to their ends, and a blocked cooperative thread stalls every other test.
    package static func shared() async throws -> PostgresCluster {
        try await offThread { try startOnce.get() }
    }

    /// Runs blocking work (child processes) on a thread of its own and waits for it.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    private static let startOnce: Result<PostgresCluster, any Error> = Result { try PostgresCluster(durable: false) }

    /// A cluster of its own, for a benchmark: `durable` keeps writes as a deployment would
    /// (fsync on; commits not waiting for the disk, as SQLite's WAL at its NORMAL level).
    package static func start(durable: Bool) throws -> PostgresCluster { try PostgresCluster(durable: durable) }

    private init(durable: Bool) throws {
        guard let binaries = Self.findBinaries() else {
            throw Unavailable(description: "PostgreSQL is not installed: these tests start a throwaway PostgreSQL server. Install it with `apt-get install -y postgresql` (Debian), then run the tests again.")
        }
        self.binaries = binaries
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("field-sync-postgres-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let asRoot = geteuid() == 0
        if asRoot { try Self.run("/bin/chown", ["-R", "postgres:postgres", folder]) }
        try Self.run(binaries + "/initdb", ["-D", folder + "/data", "-U", "fieldsync", "--auth=trust", "-E", "UTF8", "--no-locale"], asPostgres: asRoot)
        var started: Int?
        for _ in 0..<5 where started == nil {
            let port = try Self.freePort()
            // A test's database is thrown away: durability off unless asked for.
            let durability = durable ? "-c synchronous_commit=off" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            let options = "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 \(durability) -c max_connections=1000 -c shared_buffers=256MB"
            if (try? Self.run(binaries + "/pg_ctl", ["-D", folder + "/data", "-o", options, "-l", folder + "/server.log", "-w", "-t", "60", "start"], asPostgres: asRoot)) != nil {
                started = port
            }
        }
        guard let port = started else {
            let log = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
            throw Unavailable(description: "the test PostgreSQL server did not start; its log says:\n\(log.suffix(2_000))")
        }
        self.port = port
        Self.register { [folder, binaries] in
            _ = try? Self.run(binaries + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "stop"], asPostgres: asRoot)
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// Stops every cluster of this process when it exits.
    private static func register(_ stop: @escaping () -> Void) {
        stopLock.withLock {
            if stops.isEmpty { atexit { PostgresCluster.stopAll() } }
            stops.append(stop)
        }
    }

    private static func stopAll() {
        for stop in stopLock.withLock({ stops }) { stop() }
    }

    nonisolated(unsafe) private static var stops: [() -> Void] = []
    private static let stopLock = NSLock()

    /// Stops the server (fast: open transactions roll back, connections drop) and starts it
    /// again with the same settings, as an operator's restart would.
    package func restart() throws {
        try Self.run(binaries + "/pg_ctl", ["-D", folder + "/data", "-m", "fast", "-w", "-t", "60", "restart"], asPostgres: geteuid() == 0)
    }

    /// Stops the server (fast: connections drop) until ``restart()``, as a database outage would.
    package func stop() throws {
        try Self.run(binaries + "/pg_ctl", ["-D", folder + "/data", "-m", "fast", "-w", "-t", "60", "stop"], asPostgres: geteuid() == 0)
    }

    /// A new, empty database on the cluster, as a `postgres://` URL. Databases are made ten at
    /// a time, by one `psql`, and handed out one by one.
    package func makeDatabase() throws -> String {
        try lock.withLock {
            if ready.isEmpty {
                let names = (0..<10).map { "test_\(getpid())_\(databases + $0 + 1)" }
                databases += names.count
                try Self.run(binaries + "/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "fieldsync", "-d", "postgres", "-q"]
                             + names.flatMap { ["-c", "CREATE DATABASE \($0)"] })
                ready = names
            }
            return url(database: ready.removeFirst())
        }
    }

    /// The same, waiting off Swift's cooperative threads.
    package func makeDatabase() async throws -> String {
        try await Self.offThread { try self.makeDatabase() }
    }

    private var ready: [String] = []

    /// The URL of `database` on this cluster.
    package func url(database: String) -> String { "postgres://fieldsync@127.0.0.1:\(port)/\(database)" }

    /// A backup of the database at `url`, taken now with `pg_dump` as an operator would; its path.
    package func backup(url: String) throws -> String {
        let path = folder + "/backup-\(UUID().uuidString).dump"
        try Self.run(binaries + "/pg_dump", ["-h", "127.0.0.1", "-p", String(port), "-U", "fieldsync", "-d", Self.database(in: url), "-F", "c", "-f", path])
        return path
    }

    /// A new database holding `backup` (restored with `pg_restore`), as a `postgres://` URL.
    package func restore(_ backup: String) throws -> String {
        let url = try makeDatabase()
        try Self.run(binaries + "/pg_restore", ["-h", "127.0.0.1", "-p", String(port), "-U", "fieldsync", "-d", Self.database(in: url), "--exit-on-error", backup])
        return url
    }

    /// ``backup(url:)`` waiting off Swift's cooperative threads.
    package func backup(url: String) async throws -> String {
        try await Self.offThread { try self.backup(url: url) }
    }

    /// ``restore(_:)`` waiting off Swift's cooperative threads.
    package func restore(_ backup: String) async throws -> String {
        try await Self.offThread { try self.restore(backup) }
    }

    /// The database a URL of this cluster names.
    static func database(in url: String) -> String { String(url.split(separator: "/").last ?? "") }

    /// Runs SQL against `database` with psql, returning its unaligned output.
    @discardableResult
    package func psql(_ sql: String, database: String) throws -> String {
        try Self.run(binaries + "/psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "fieldsync", "-d", database, "-X", "-A", "-t", "-q", "-c", sql])
    }

    static func findBinaries() -> String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: bin + "/initdb") { return bin }
        }
        for path in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(path)/initdb") {
            return String(path)
        }
        return nil
    }

    /// Runs a program to its end and returns its output. Spawned directly, not with Foundation's
    /// `Process`: a server that `pg_ctl` starts would inherit the descriptor `Process` watches for
    /// its child's end, and waiting would never return.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], asPostgres: Bool = false) throws -> String {
        let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments : [program] + arguments
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("field-sync-postgres-output-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else {
            throw Unavailable(description: "cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw Unavailable(description: "\((program as NSString).lastPathComponent) failed (status \(status)): \(text.suffix(2_000))")
        }
        return text
    }

    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Unavailable(description: "cannot open a socket to find a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw Unavailable(description: "cannot bind 127.0.0.1 to find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
