import Dispatch
import Foundation

/// Ctrl-C (SIGINT) or SIGTERM during a long command: the first one cancels the work, which stops
/// between requests with every page already received committed; a second one ends the process
/// at once (SQLite's transactions still make that safe). Either way the person is told that
/// nothing is lost.
final class Interruption: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let lock = NSLock()
    private var count = 0

    /// Whether a signal has arrived.
    var happened: Bool { lock.withLock { count > 0 } }

    /// Watches SIGINT and SIGTERM while the returned value lives, cancelling `task` at the first.
    init(cancelling task: @escaping @Sendable () -> Void, saying message: String) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            sources.append(source)
        }
        self.sources = sources
        for source in sources {
            source.setEventHandler { [self] in
                let first = lock.withLock { count += 1; return count == 1 }
                FileHandle.standardError.write(Data("\n\(message)\n".utf8))
                if first { task() } else { exit(130) }
            }
            source.resume()
        }
    }

    deinit {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
