import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a running `sync --watch` (or `web`) keeps beside its replica, so that `status` can say
/// whether a watch is running and what it last did: `REPLICA.watch`, a small JSON file rewritten
/// on every event and every ``heartbeatSeconds``, and `REPLICA.watch.lock`, held with `flock`
/// while the watch runs. The lock is released by the system when the process ends however it
/// ends, so a record whose lock is free is a watch that stopped (or was killed), never a live one.
package struct WatchRecord: Codable, Sendable, Equatable {
    /// Seconds between two rewrites of the record while nothing happens.
    package static let heartbeatSeconds = 10

    package var pid: Int32
    /// When the watch started, its last heartbeat, and its last event (milliseconds since 1970).
    package var started: Int64
    package var heartbeat: Int64
    package var server: String
    /// The last event's line, and when it came.
    package var last: String?
    package var lastTime: Int64?
    /// Since when the server has been unreachable, while it is.
    package var unreachableSince: Int64?
    /// Requests that failed since the server was last reached (each sync attempt and each wait).
    package var failedAttempts: Int

    package init(pid: Int32, started: Int64, server: String) {
        self.pid = pid
        self.started = started
        heartbeat = started
        self.server = server
        failedAttempts = 0
    }

    /// The record's file beside `replica`.
    package static func path(replica: String) -> String { replica + ".watch" }

    /// Writes the record atomically (readable by the user only: it names the server).
    package func save(replica: String) throws {
        let data = try JSONEncoder().encode(self)
        let path = Self.path(replica: replica)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ClientError("cannot write \(temporary): check the folder's permissions")
        }
        guard rename(temporary, path) == 0 else { throw ClientError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// The record beside `replica`, and whether its watch is running now; nil when no watch ever ran there.
    package static func load(replica: String) -> (record: WatchRecord, running: Bool)? {
        guard let data = FileManager.default.contents(atPath: path(replica: replica)),
              let record = try? JSONDecoder().decode(WatchRecord.self, from: data) else { return nil }
        return (record, WatchLock.isHeld(replica: replica))
    }
}

/// The `flock` a watch holds for as long as it runs (see ``WatchRecord``): one watch per replica.
package final class WatchLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock for `replica`.
    /// - Throws: a ``ClientError`` naming the running watch's process when another one holds it.
    package init(replica: String) throws {
        let path = replica + ".watch.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ClientError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            let pid = WatchRecord.load(replica: replica).map { " (process \($0.record.pid))" } ?? ""
            throw ClientError("a watch is already running for \(replica)\(pid); it keeps the replica in step by itself, and `sync-client status` shows what it did")
        }
        self.descriptor = descriptor
    }

    /// Whether a running watch holds the lock of `replica`.
    package static func isHeld(replica: String) -> Bool {
        let descriptor = open(replica + ".watch.lock", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(descriptor, LOCK_UN)
        return false
    }

    deinit { close(descriptor) }
}
