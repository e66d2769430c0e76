import ArgumentParser
import LocalStore
import SyncClientCore

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "List every cell with its trajectory, trend, last assessment, signal backlog and open conflicts.",
        discussion: "Example: sync-client dashboard"
    )
    @OptionGroup var options: ReplicaOption
    @OptionGroup var output: JSONFlag

    func run() throws {
        let replica = try options.open()
        let directory = try CellDirectory(store: replica.store)
        let rows = DashboardRow.rows(cells: try replica.store.records(kind: "cell"), signals: directory.shown(try replica.store.records(kind: "signal")))
        if output.json { return printJSON(rows) }
        print(TextOutput.dashboard(rows, style: .forTerminal(now: WallClock.now())), terminator: "")
    }
}
