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
        let rows = DashboardRow.rows(cells: try replica.store.records(kind: "cell"), signals: try replica.store.records(kind: "signal"))
        if output.json { return printJSON(rows) }
        if rows.isEmpty { return print("No cells yet. Create one with `sync-client cell create --number N --title T`.") }
        print(TextOutput.table(["CELL", "TITLE", "TRAJECTORY", "TREND", "ASSESSED", "SIGNALS", "NEWEST", "CONFLICTS"], rows.map { row in
            [row.number.map(String.init) ?? "—", row.title ?? "", row.trajectory ?? "—", row.trend ?? "—", row.lastAssessed ?? "—",
             String(row.signals), row.newestSignal ?? "—", row.openConflicts == 0 ? "" : String(row.openConflicts)]
        }))
    }
}
