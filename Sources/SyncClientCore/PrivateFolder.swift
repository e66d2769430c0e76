package import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder only this user can enter, made fresh under the temporary folder (mkdtemp) and
/// removed with its contents when released: files made in it cannot be replaced by, or written
/// through, a link another user planted under a predictable name.
package final class PrivateFolder {
    package let path: String

    /// - Throws: ``ClientError`` when the temporary folder cannot take a new folder.
    package init(prefix: String) throws {
        var template = Array((FileManager.default.temporaryDirectory.path as NSString).appendingPathComponent("\(prefix)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ClientError("cannot make a private folder in \(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno))); set TMPDIR to a writable folder")
        }
        path = String(cString: made)
    }

    /// Makes the new file `name` in the folder, readable and writable by this user only.
    package func create(_ name: String, contents: Data) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ClientError("cannot write \(file): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        try OutputFile.writeAll(descriptor, contents, shownAs: file)
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
