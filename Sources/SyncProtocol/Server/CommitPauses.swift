/// Pauses a test places inside a storage's exchanges, to stop or kill a real server at a known
/// point: `beforeCommit` runs inside the transaction, after the push is written and before it
/// commits; `afterCommit` after the commit, before the answer goes back. Package access only:
/// no program outside this package can set one, and ``ServerStorage`` knows nothing of them.
package struct CommitPauses: Sendable {
    package var beforeCommit: (@Sendable () -> Void)?
    package var afterCommit: (@Sendable () async -> Void)?

    package init(beforeCommit: (@Sendable () -> Void)? = nil, afterCommit: (@Sendable () async -> Void)? = nil) {
        self.beforeCommit = beforeCommit
        self.afterCommit = afterCommit
    }
}
