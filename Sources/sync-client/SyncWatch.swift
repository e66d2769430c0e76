import ArgumentParser
import Foundation
import LocalStore
import SyncClientCore

extension SyncCommand {
    /// `sync --watch`: the ``LiveSync`` loop until Ctrl-C or SIGTERM, which stop it between
    /// requests; one line per event (one JSON object with `--json`), each written at once.
    func runWatch() async throws {
        let replica = try options.open()
        let settings = EffectiveSettings(saved: try replica.settings(), server: server, token: token, caFile: caFile,
                                         environment: ProcessInfo.processInfo.environment)
        let live = LiveSync(sync: ReplicaSync(connectTimeout: connectTimeout, pageSize: pageSize, retries: retries),
                            waitSeconds: waitSeconds, maxBackoff: .milliseconds(Int64(maxBackoff * 1000)))
        let json = output.json
        let path = options.path
        let work = Task {
            try await live.run(replica: replica, path: path, settings: settings) { event, time in
                let text = json ? OutputJSON.line(event.json(at: time)) : event.stamped(at: time) + "\n"
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
        // The first signal cancels the loop, which ends between requests and says so itself.
        let interruption = Interruption(cancelling: { work.cancel() }, saying: "stopping the watch…")
        try await work.value
        withExtendedLifetime(interruption) {}
    }
}
