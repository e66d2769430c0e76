import ArgumentParser
import LocalStore
import SyncClientCore

struct RekeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Give this replica a fresh id and signing key, moving its unsynced writes to it.",
        discussion: """
            For a replica file restored from an old backup or copied to a second laptop: both \
            histories wrote under one replica id, and the server refuses the second. This moves \
            the writes the server never acknowledged to this file to a fresh id; the next sync then \
            pulls the other history as another replica's, and where both changed a field you get a \
            conflict to resolve. Nothing is dropped; the file as it was is kept beside it \
            (PATH.before-rekey). Run it while no other sync-client command uses the file.
            Example: sync-client rekey && sync-client sync
            """
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag

    func run() throws {
        let report = try Replica.rekey(path: options.path)
        if output.json { return printJSON(OutputJSON.Rekey(report)) }
        print("""
            This replica is now \(report.newID) (was \(report.oldID)).
            Moved \(report.moved) unsynced write\(report.moved == 1 ? "" : "s") to the new id; all \(report.versions) versions are kept.
            The file as it was is kept at \(report.backupPath).
            Next: `sync-client sync`, then `sync-client conflicts` for fields both histories changed.
            """)
    }
}
