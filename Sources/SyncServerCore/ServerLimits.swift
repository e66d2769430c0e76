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

    package init() {}
}
