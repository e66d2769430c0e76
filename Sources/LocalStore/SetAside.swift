import Foundation
import SyncModel
import SyncProtocol

/// An analyst's unsent writes of records their replica had to remove (a clearance went), saved
/// whole so that nothing written is lost: a JSON file of the versions, readable only by its
/// owner, in a `set-aside` folder beside the replica file.
enum SetAside {
    struct File: Codable {
        var analyst: String
        /// The compartments whose clearance went.
        var compartments: [String]
        /// Milliseconds since 1970.
        var time: Int64
        var versions: [Version]
    }

    /// Writes `versions` and returns the file's path.
    static func write(_ versions: [Version], analyst: String, replica: ReplicaID, reason: [String], beside replicaPath: String, at time: Int64) throws -> String {
        let folder = replicaPath == ":memory:"
            ? FileManager.default.temporaryDirectory.appendingPathComponent("set-aside")
            : URL(fileURLWithPath: replicaPath).deletingLastPathComponent().appendingPathComponent("set-aside")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var path = folder.appendingPathComponent("set-aside-\(replica.short)-\(time).json")
            var suffix = 1
            while FileManager.default.fileExists(atPath: path.path) {
                suffix += 1
                path = folder.appendingPathComponent("set-aside-\(replica.short)-\(time)-\(suffix).json")
            }
            let data = WireProtocol.encode(File(analyst: analyst, compartments: reason, time: time, versions: versions))
            guard FileManager.default.createFile(atPath: path.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            return path.path
        } catch {
            throw StoreError.cannotOpen(path: folder.path, reason: "cannot save the writes set aside there (\(error.localizedDescription)); nothing was removed. Free the disk or fix the folder's permissions, then sync again")
        }
    }
}
