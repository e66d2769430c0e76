import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel

struct NewsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "news",
        abstract: "Show what arrived since you last looked: changed fields by cell and author, new signals, new and closed conflicts.",
        discussion: """
            "Last looked" is a mark kept in the replica: the versions it held and the conflicts open when `news`
            (without --since or --no-mark) last printed, or the web dashboard's "Mark as seen" was pressed. What
            arrived since is every version written on another replica (a colleague's, or your other laptop's)
            that the mark does not cover, however it came (sync or bundle); this replica's own writes are never news. Showing the news moves the mark to what was shown.
            --since lists what others wrote after a point instead (by their clocks), and leaves the mark alone.
            Examples:
              sync-client news
              sync-client news --since 2026-02-18
              sync-client news --since 3c776e85:4 --json
            """
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag
    @Option(help: ArgumentHelp("What others wrote after a point: a date (from its first day, UTC), a moment (2026-02-18T09:30:00Z) or a version (replica:counter).", valueName: "point"))
    var since: String?
    @Flag(name: .customLong("no-mark"), help: "Show what is new without marking it seen.") var noMark = false

    func run() throws {
        let replica = try options.open()
        let now = WallClock.now()
        let report = try since.map { try NewsReport.since($0, replica, now: now) } ?? NewsReport.sinceLastLook(replica, now: now)
        if since == nil && !noMark {
            do {
                try replica.moveNewsMark(to: report.mark)
            } catch StoreError.readOnly {
                FileHandle.standardError.write(Data("note: not marked as seen: the replica file is read-only\n".utf8))
            }
        }
        if output.json { return printJSON(report) }
        print(report.lines.joined(separator: "\n"))
    }
}
