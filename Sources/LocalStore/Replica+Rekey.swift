import Foundation
import GRDB
public import SyncModel

/// What ``Replica/rekey(path:newID:)`` did.
public struct RekeyReport: Sendable, Equatable {
    public var oldID: ReplicaID
    public var newID: ReplicaID
    /// Writes moved to the new id: those the server had not acknowledged to this file.
    public var moved: Int
    /// Versions in the file, before and after (equal: nothing is dropped).
    public var versions: Int
    /// The file as it was before, kept beside it.
    public var backupPath: String
}

extension Replica {
    /// Gives the replica file at `path` a fresh replica id and moves to it every write of its
    /// own the server has not acknowledged *to this file*.
    ///
    /// For a file restored from an old backup, or copied to a second laptop, those writes share
    /// dots with writes the server already holds from the other history. Renumbered under a new
    /// id they become ordinary concurrent writes: the next sync pulls the other history as
    /// another replica's, and where both changed a field the merge keeps both (a conflict to
    /// resolve), so nothing is lost.
    ///
    /// The new file is built beside the old one and swapped in with a rename; the old file is
    /// kept at `backupPath`. Run it while no other command uses the file.
    public static func rekey(path: String, newID: ReplicaID = .random()) throws -> RekeyReport {
        // A replica reached through a symbolic link is rebuilt where it lives, and the link stays.
        let path = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let old = try Replica.open(path: path)
        let oldStore = old.store
        let (meta, confirmed, own) = try oldStore.read { db in
            let meta = try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map { ($0[0] as String, $0[1] as String) }
            return (meta, try lastServerVector(db), try old.ownReplicas(db))
        }
        let local = try oldStore.versionVector()
        // Own writes past what was acknowledged move to the new id, in the order pages list
        // them (replica uuid, then counter), so the new counters are 1...n without gaps.
        var base: [ReplicaID: UInt64] = [:]
        var moved: UInt64 = 0
        for id in own.sorted(by: { $0.rawValue < $1.rawValue }) where local[id] > confirmed[id] {
            base[id] = moved
            moved += local[id] - confirmed[id]
        }
        func renumbered(_ version: Version) -> Version {
            guard let offset = base[version.dot.replica], version.dot.counter > confirmed[version.dot.replica] else { return version }
            var copy = version
            copy.dot = Dot(replica: newID, counter: offset + version.dot.counter - confirmed[version.dot.replica])
            // What this write had seen of the moved writes, it has seen under their new dots.
            for (id, offset) in base where copy.context[id] > confirmed[id] {
                copy.context[newID] = max(copy.context[newID], offset + copy.context[id] - confirmed[id])
                copy.context[id] = confirmed[id]
            }
            return copy
        }

        let temporary = path + ".rekey-partial"
        // Never overwrite an earlier backup: a second rekey keeps `.before-rekey-2`, and so on.
        var backup = path + ".before-rekey"
        var number = 2
        // lstat, not stat: a link planted under a backup's name counts as taken, dangling or not.
        var taken = stat()
        while lstat(backup, &taken) == 0 {
            backup = path + ".before-rekey-\(number)"
            number += 1
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temporary + suffix) }
        let settings = try old.settings()
        let fresh = try Replica.create(path: temporary, settings: settings, id: newID)
        var cursor = VersionVector()
        var copied = 0
        while true {
            let page = try oldStore.versions(notCoveredBy: cursor, limit: 10_000)
            for version in page.versions { cursor[version.dot.replica] = max(cursor[version.dot.replica], version.dot.counter) }
            try fresh.store.apply(page.versions.map(renumbered))
            copied += page.versions.count
            if !page.more { break }
        }
        // The feed cursor is dropped: while the old ids were this file's own, the server left
        // their versions out of feed pages, and those from the other history must now arrive.
        let skipped: Set<String> = ["role", "replica_id", "own_replicas", "server_cursor"]
        try fresh.store.transaction { db in
            // The old id's signing key stays with the old file: the new id signs with its own.
            for (key, value) in meta where !skipped.contains(key) && !key.hasPrefix("signing_key.") { try Meta.set(key, value, db) }
            try Meta.set("own_replicas", newID.rawValue, db)
        }
        let total = try fresh.store.versionVector().total
        guard total == local.total, copied == Int(local.total) else {
            throw StoreError.writeFailed(reason: "the rebuilt replica holds \(total) versions, the original \(local.total); the original was left in place")
        }
        do {
            try oldStore.close()
        } catch {
            try? fresh.store.close()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temporary + suffix) }
            throw error
        }
        try fresh.store.close()
        // Keep the old file under a second name, then swap the new one in atomically: at every
        // moment `path` is a complete replica, old or new.
        do {
            try FileManager.default.linkItem(atPath: path, toPath: backup)
            guard rename(temporary, path) == 0 else {
                throw StoreError.writeFailed(reason: "cannot replace \(path): \(String(cString: strerror(errno)))")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.writeFailed(reason: "cannot keep a copy at \(backup): \(error.localizedDescription)")
        }
        return RekeyReport(oldID: old.id, newID: newID, moved: Int(moved), versions: copied, backupPath: backup)
    }
}
