import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock on a SQLite server database that says a `sync-server serve` is using it:
/// `serve` holds it shared for as long as it runs, and `migrate` takes it exclusive, so a copy
/// is never made while a server may still write versions the copy would miss.
///
/// `flock` locks are separate from the POSIX record locks SQLite takes, so they never disturb
/// SQLite's own locking; the descriptor is kept open until the process exits, since closing any
/// descriptor of the file would drop SQLite's POSIX locks in this process.
enum ServingLock {
    /// Marks `path` as served by this process until it exits.
    /// - Throws: ``ServingLockError`` when a `migrate` is copying the file.
    static func holdShared(_ path: String) throws {
        try take(path, LOCK_SH, refusal: "sync-server migrate is copying \(path) right now; start the server when the copy has finished (on the PostgreSQL URL, if that is where the team moves)")
    }

    /// Takes `path` for this process alone until it exits.
    /// - Throws: ``ServingLockError`` when a server is serving the file.
    static func holdExclusive(_ path: String) throws {
        try take(path, LOCK_EX, refusal: "a sync-server is serving \(path); stop it first (Ctrl-C or SIGTERM, it shuts down gracefully), then migrate: versions it took during the copy would not be copied")
    }

    /// Takes `path` for this process alone until it exits, before a file is put in its place.
    /// - Throws: ``ServingLockError`` when a server is serving the file.
    static func holdForReplacing(_ path: String) throws {
        try take(path, LOCK_EX, refusal: "a sync-server is serving \(path); stop it first (Ctrl-C or SIGTERM), then run this again: a file replaced under a running server is not the one it serves")
    }

    private static func take(_ path: String, _ operation: Int32, refusal: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ServingLockError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, operation | LOCK_NB) == 0 else {
            let reason = errno
            close(descriptor)
            guard reason == EWOULDBLOCK else { throw ServingLockError(description: "cannot lock \(path): \(String(cString: strerror(reason)))") }
            throw ServingLockError(description: refusal)
        }
        // Deliberately left open: see the type's comment.
    }
}

/// Why a server database could not be taken for serving or copying; nothing was changed.
struct ServingLockError: Error, CustomStringConvertible {
    var description: String
}
