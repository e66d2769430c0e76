import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore
import SyncModel
import SyncProtocol

/// `sync-client cell move`: asks the server to move a cell to another compartment.
struct CellMove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Move a cell to another compartment (needs the server, and write clearance for both).",
        discussion: """
            Analysts cleared only for the old compartment lose the cell at their next sync; those cleared \
            only for the new one receive it, history included.
            Example: sync-client cell move 20 --to europe
            """
    )
    @OptionGroup var options: ReplicaOption
    @Argument(help: "The cell's number or id.") var cell: String
    @Option(help: ArgumentHelp("The compartment to move it to.", valueName: "name")) var to: String

    func validate() throws {
        do { _ = try Compartment.checkName(to) } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        let replica = try options.open()
        let record = try RecordLookup(store: replica.store).cell(cell)
        let settings = EffectiveSettings(saved: try replica.settings(), server: nil, token: nil, caFile: nil,
                                         environment: ProcessInfo.processInfo.environment)
        try await ReplicaSync.move(record.id, to: to, settings: settings)
        let number = record.value("number").int.map(String.init) ?? record.id.short
        print("Moved cell \(number) to compartment '\(to)'. Run `sync-client sync` to take the move in here; others take it at their next sync.")
    }
}
