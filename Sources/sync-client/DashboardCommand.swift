import ArgumentParser
import LocalStore
import SyncModel
import SyncClientCore

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "List every cell with its trajectory, trend, last assessment, signal backlog and open conflicts.",
        discussion: "Examples:\n  sync-client dashboard\n  sync-client dashboard --as-of 2026-02"
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag
    @OptionGroup var history: AsOfOption

    func run() throws {
        let replica = try options.open()
        let directory = try CellDirectory(store: replica.store)
        let rows = DashboardRow.rows(cells: try history.records(kind: "cell", in: replica.store),
                                     signals: directory.shown(try history.signalSummaries(in: replica.store)))
        if output.json { return printJSON(rows) }
        if rows.isEmpty, let asOf = history.asOf, let start = try replica.store.historyStart(),
           try HistoryPoint.time(asOf, in: replica.store) < start {
            return print("Nothing existed on this replica at \(asOf): its history starts \(TextOutput.humanTime(start)). "
                         + "Give a later point, or `sync-client log` for every version.")
        }
        print(TextOutput.dashboard(rows, style: .forTable(now: WallClock.now())), terminator: "")
    }
}
