public import Foundation

extension VersionBundle {
    /// The largest bundle file read: about 40 million small edits. A larger file is refused
    /// before it is read, so a wrong path (a disk image, a video) cannot exhaust memory.
    public static let maxFileBytes = 2 << 30

    /// Reads and checks the bundle file at `path` (see ``read(_:)``).
    public static func load(path: String) throws -> VersionBundle {
        try read(loadData(path: path))
    }

    /// The bytes of the bundle file at `path`, sealed or not, checked only for being a file of a
    /// bundle's size.
    public static func loadData(path: String) throws -> Data {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw BundleError.unreadable(path: path, reason: "no such file, or it cannot be read")
        }
        if let type = attributes[.type] as? FileAttributeType, type == .typeDirectory {
            throw BundleError.unreadable(path: path, reason: "it is a directory, not a bundle file")
        }
        if let size = attributes[.size] as? Int, size > maxFileBytes {
            throw BundleError.unreadable(path: path, reason: "it is \(size) bytes, more than any bundle (\(maxFileBytes) bytes); check the path")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BundleError.unreadable(path: path, reason: "it cannot be read (permissions?)")
        }
        return data
    }
}
