import Foundation
import SyncModel
import Testing
import TestSupport

/// Prose merges agree with `git merge-file` (a real git, not a copy of its rules): the same
/// clean merges, with the same text, and the same conflicts.
@Suite(.ownThreads) struct GitMergeFileAgreementTests {
    /// Paragraphs unique within a case, so every side's common lines with the base are plain to
    /// see and any correct line matching finds the same ones.
    static func randomMerge(seed: UInt64) -> (base: [String], ours: [String], theirs: [String]) {
        var random = SplitMix64(seed: seed)
        var fresh = 0
        func paragraph(_ side: String) -> String {
            fresh += 1
            return "\(side) paragraph \(fresh) of case \(seed)"
        }
        let base = (0..<(3 + Int(random.next() % 20))).map { _ in paragraph("base") }
        func edited(_ side: String) -> [String] {
            var lines = base
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(lines.count + 1))
                switch random.next() % 3 {
                case 0 where position < lines.count: lines[position] = paragraph(side)
                case 1 where position < lines.count: lines.remove(at: position)
                default: lines.insert(paragraph(side), at: position)
                }
            }
            return lines
        }
        return (base, edited("ours"), edited("theirs"))
    }

    /// git's merged text and whether it left conflicts.
    static func gitMerge(base: [String], ours: [String], theirs: [String]) throws -> (text: String, clean: Bool) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("merge-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func file(_ name: String, _ lines: [String]) throws -> String {
            let url = folder.appendingPathComponent(name)
            try lines.map { $0 + "\n" }.joined().write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        let paths = [try file("ours", ours), try file("base", base), try file("theirs", theirs)]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "merge-file", "-p"] + paths
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let status = process.terminationStatus
        guard (0...127).contains(status), status != 127 else {
            throw GitMissing(description: "git merge-file failed with status \(status): install git (apt-get install git) to run this test")
        }
        return (text, status == 0)
    }

    struct GitMissing: Error, CustomStringConvertible { var description: String }

    @Test("diff3 agrees with git merge-file on random paragraph edits", arguments: testSeeds(count: 200, base: 0x617))
    func agreesWithGit(seed: UInt64) throws {
        let (base, ours, theirs) = Self.randomMerge(seed: seed)
        let git = try Self.gitMerge(base: base, ours: ours, theirs: theirs)
        let merged = Diff3.merge(base: base, ours: ours, theirs: theirs)
        #expect((merged != nil) == git.clean, "seed \(seed): git \(git.clean ? "merged" : "found a conflict")")
        if let merged, git.clean {
            #expect(merged.map { $0 + "\n" }.joined() == git.text, "seed \(seed)")
        }
    }
}
