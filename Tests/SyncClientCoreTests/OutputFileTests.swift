import Foundation
import SyncClientCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every kind of path a user can name as an output: what it points at is written, never replaced.
@Suite struct OutputFileTests {
    final class Folder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("output-file-\(UUID().uuidString)").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func kind(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & S_IFMT
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        stat(path, &info)
        return info.st_mode & 0o7777
    }

    static func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    static func refusal(_ path: String) -> String? {
        do {
            try OutputFile.write(Data("new".utf8), to: path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aNewFileIsCreated() throws {
        let folder = try Folder()
        try OutputFile.write(Data("new".utf8), to: folder.file("out.json"))
        #expect(Self.contents(folder.file("out.json")) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.json"], "no temporary file left behind")
    }

    @Test func aRegularFileIsReplacedWithItsPermissionsKept() throws {
        let folder = try Folder()
        let path = folder.file("out.json")
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o640)
        try OutputFile.write(Data("new".utf8), to: path)
        #expect(Self.contents(path) == "new")
        #expect(Self.mode(path) == 0o640)
        #expect(Self.kind(path) == S_IFREG)
    }

    @Test func aSymbolicLinkIsFollowedAndItsTargetWritten() throws {
        let folder = try Folder()
        try "old".write(toFile: folder.file("target.json"), atomically: false, encoding: .utf8)
        chmod(folder.file("target.json"), 0o600)
        try FileManager.default.createSymbolicLink(atPath: folder.file("link.json"), withDestinationPath: "target.json")
        try OutputFile.write(Data("new".utf8), to: folder.file("link.json"))
        #expect(Self.kind(folder.file("link.json")) == S_IFLNK, "the link is still a link")
        #expect(Self.contents(folder.file("target.json")) == "new")
        #expect(Self.mode(folder.file("target.json")) == 0o600)
    }

    @Test func aDanglingSymbolicLinkIsRefusedNamingWhereItGoes() throws {
        let folder = try Folder()
        try FileManager.default.createSymbolicLink(atPath: folder.file("link.json"), withDestinationPath: folder.file("missing.json"))
        let refusal = try #require(Self.refusal(folder.file("link.json")))
        #expect(refusal.contains("is a symbolic link to \(folder.file("missing.json")), which does not exist"), "\(refusal)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("missing.json")))
        #expect(Self.kind(folder.file("link.json")) == S_IFLNK)
    }

    @Test func aFIFOIsWrittenInPlaceForTheProcessReadingIt() throws {
        let folder = try Folder()
        let fifo = folder.file("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [fifo]
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        try OutputFile.write(Data("through the pipe".utf8), to: fifo)
        let read = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        reader.waitUntilExit()
        #expect(read == "through the pipe")
        #expect(Self.kind(fifo) == S_IFIFO, "the FIFO is still a FIFO")
    }

    @Test func aLinkToADeviceWritesIntoTheDeviceAndLeavesBothInPlace() throws {
        let folder = try Folder()
        try FileManager.default.createSymbolicLink(atPath: folder.file("null"), withDestinationPath: "/dev/null")
        try OutputFile.write(Data("discarded".utf8), to: folder.file("null"))
        #expect(Self.kind(folder.file("null")) == S_IFLNK)
        #expect(Self.kind("/dev/null") == S_IFCHR)
    }

    @Test func aFolderIsRefused() throws {
        let folder = try Folder()
        let refusal = try #require(Self.refusal(folder.path))
        #expect(refusal == "\(folder.path) is a folder; name a file inside it, for example \(folder.file("dashboard.json"))")
    }

    @Test func aPathWhoseFolderIsMissingIsRefused() throws {
        let folder = try Folder()
        let path = folder.file("missing/out.json")
        let refusal = try #require(Self.refusal(path))
        #expect(refusal == "cannot write \(path): the folder \(folder.file("missing")) does not exist; create it first or choose another path")
        #expect(!FileManager.default.fileExists(atPath: folder.file("missing")))
    }

    @Test func aPrivateFolderHoldsFilesForThisUserOnlyAndGoesAway() throws {
        var path = ""
        do {
            let folder = try PrivateFolder(prefix: "output-file-test")
            path = folder.path
            let file = try folder.create("conflict.txt", contents: Data("text".utf8))
            #expect(Self.mode(folder.path) == 0o700)
            #expect(Self.mode(file) == 0o600)
            #expect(Self.contents(file) == "text")
            #expect(throws: ClientError.self) { try folder.create("conflict.txt", contents: Data()) }
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
