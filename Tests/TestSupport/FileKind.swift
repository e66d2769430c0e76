import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a path is, without following a symbolic link there (lstat), for tests of files the tools
/// write: the end-to-end target links modules that make `stat` ambiguous to reach from there.
public enum FileKind: Equatable, Sendable {
    case missing, regular, directory, symbolicLink, fifo, characterDevice, socket, other

    public init(at path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            self = .missing
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFSOCK: self = .socket
        default: self = .other
        }
    }
}
