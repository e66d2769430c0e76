/// The explicit limits of the sync endpoint. Each refusal names the limit and its value.
package struct ServerLimits: Sendable, Equatable {
    /// Largest request body, refused before it is read whole.
    package var maxBodyBytes = 32 << 20
    /// Most versions one request may push.
    package var maxVersionsPerRequest = 20_000
    /// Most versions one answer carries (a client may ask for fewer).
    package var maxPageSize = 20_000
    /// Versions per answer when the client does not say.
    package var defaultPageSize = 2_000
    /// The longest a wait (`POST /v1/wait`) is held before it is answered `changed: false`:
    /// under the 30 s after which proxies and NAT tables commonly drop a silent connection.
    package var maxWaitSeconds = 25
    /// Most waits one analyst may have open at once (each watching replica or dashboard holds one).
    package var maxWaitsPerAnalyst = 16
    /// Most waits the server holds at once.
    package var maxWaits = 10_000
    /// How often the server looks at its store for commits other processes made (other
    /// instances on one PostgreSQL database, `sync-server clearance`), in milliseconds; also the
    /// resolution of wait deadlines.
    package var changePollMilliseconds = 250

    package init() {}
}
