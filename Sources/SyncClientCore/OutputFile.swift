package import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file the user named, the way shells, `cp` and git do: what the path points at is
/// written, never replaced. A symbolic link is followed to its target; a character device, FIFO
/// or socket is written in place; a regular file is replaced atomically (a temporary file in the
/// same folder, flushed to disk, renamed over it) with its permissions kept; a new file is made
/// the same way. A folder, a missing folder, a dangling link or a block device is refused with a
/// sentence, and nothing is written.
package enum OutputFile {
    /// Writes `data` to what `path` names.
    /// - Throws: ``ClientError`` saying what the path is and what to do instead.
    package static func write(_ data: some ContiguousBytes, to path: String) throws {
        let target = try resolve(path)
        var info = stat()
        if lstat(target, &info) != 0 {
            guard errno == ENOENT else { throw failure(path, "cannot look at it: \(String(cString: strerror(errno)))") }
            return try replace(target, with: data, mode: nil, shownAs: path)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            try replace(target, with: data, mode: info.st_mode & 0o7777, shownAs: path)
        case S_IFCHR, S_IFIFO:
            try writeInPlace(target, data, shownAs: path)
        case S_IFSOCK:
            try sendToSocket(target, data, shownAs: path)
        case S_IFDIR:
            throw ClientError("\(path) is a folder; name a file inside it, for example \((path as NSString).appendingPathComponent("dashboard.json"))")
        default:
            throw ClientError("\(path) is a block device or another special file; refusing to write to it. Name a regular file instead")
        }
    }

    /// `path` with every symbolic link on it followed to the file it finally names (which may not
    /// exist yet, though its folder must).
    static func resolve(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0 else {
                guard errno == ENOENT else { throw failure(path, String(cString: strerror(errno))) }
                let folder = (current as NSString).deletingLastPathComponent
                var folderInfo = stat()
                guard stat(folder.isEmpty ? "." : folder, &folderInfo) == 0, folderInfo.st_mode & S_IFMT == S_IFDIR else {
                    if current != path {
                        throw ClientError("\(path) is a symbolic link to \(current), whose folder does not exist; nothing was written")
                    }
                    throw ClientError("cannot write \(path): the folder \(folder) does not exist; create it first or choose another path")
                }
                if current != path {
                    throw ClientError("\(path) is a symbolic link to \(current), which does not exist; write to \(current) directly if that is what you mean")
                }
                return current
            }
            guard info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(current, &buffer, buffer.count - 1)
            guard length >= 0 else { throw failure(path, String(cString: strerror(errno))) }
            let destination = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = destination.hasPrefix("/") ? destination : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
        }
        throw ClientError("\(path) is a loop of symbolic links; nothing was written")
    }

    /// Writes a new file beside `target` and renames it over `target`: at every moment `target`
    /// holds the old bytes or the new ones, never a part.
    private static func replace(_ target: String, with data: some ContiguousBytes, mode: mode_t?, shownAs path: String) throws {
        let folder = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        let temporary = ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(".\(name).\(UUID().uuidString.prefix(8)).partial")
        // O_EXCL and O_NOFOLLOW: a file or link planted under the temporary name is never followed.
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ?? 0o666)
        guard descriptor >= 0 else { throw failure(path, "cannot create a file in \(folder.isEmpty ? "." : folder): \(String(cString: strerror(errno)))") }
        var written = false
        defer { if !written { unlink(temporary) } }
        do {
            try writeAll(descriptor, data, shownAs: path)
            // The mode asked at open is reduced by the umask; the original file's is kept whole.
            if let mode, fchmod(descriptor, mode) != 0 { throw failure(path, "cannot keep its permissions: \(String(cString: strerror(errno)))") }
            guard fsync(descriptor) == 0 else { throw failure(path, "cannot flush it to disk: \(String(cString: strerror(errno)))") }
        } catch {
            close(descriptor)
            throw error
        }
        close(descriptor)
        guard rename(temporary, target) == 0 else { throw failure(path, String(cString: strerror(errno))) }
        written = true
        let folderDescriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    private static func writeInPlace(_ target: String, _ data: some ContiguousBytes, shownAs path: String) throws {
        let descriptor = open(target, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, String(cString: strerror(errno))) }
        defer { close(descriptor) }
        try writeAll(descriptor, data, shownAs: path)
    }

    private static func sendToSocket(_ target: String, _ data: some ContiguousBytes, shownAs path: String) throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(target.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw failure(path, "the socket's path is too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw failure(path, String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw failure(path, "cannot connect to the socket: \(String(cString: strerror(errno)))") }
        try writeAll(descriptor, data, shownAs: path)
    }

    static func writeAll(_ descriptor: Int32, _ data: some ContiguousBytes, shownAs path: String) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, String(cString: strerror(errno)))
                }
                offset += count
            }
        }
    }

    private static func failure(_ path: String, _ reason: String) -> ClientError {
        ClientError("cannot write \(path): \(reason); nothing was written")
    }
}
