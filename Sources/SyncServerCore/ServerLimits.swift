/// The explicit limits of the sync endpoint. Each refusal names the limit and its value.
public struct ServerLimits: Sendable, Equatable {
    /// Largest request body, refused before it is read whole.
    public var maxBodyBytes = 32 << 20
    /// Most versions one request may push.
    public var maxVersionsPerRequest = 20_000
    /// Most versions one answer carries (a client may ask for fewer).
    public var maxPageSize = 20_000
    /// Versions per answer when the client does not say.
    public var defaultPageSize = 2_000

    public init() {}
}

/// Pauses a test places inside the sync endpoint to stop or kill the real server at a known
/// point. Each pause logs `test pause: <point>` before it sleeps. Package access only: no
/// program outside this package can set one.
package struct TestPauses: Sendable, Equatable {
    /// Inside the store transaction, after the versions are written and before they commit.
    package var beforeCommit: Duration?
    /// After the commit, before the answer is sent.
    package var afterCommit: Duration?

    package init(beforeCommit: Duration? = nil, afterCommit: Duration? = nil) {
        self.beforeCommit = beforeCommit
        self.afterCommit = afterCommit
    }
}
