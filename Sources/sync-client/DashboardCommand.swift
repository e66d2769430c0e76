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
                                     signals: directory.shown(try history.records(kind: "signal", in: replica.store)))
        if output.json { return printJSON(rows) }
        print(TextOutput.dashboard(rows, style: .forTerminal(now: WallClock.now())), terminator: "")
    }
}
