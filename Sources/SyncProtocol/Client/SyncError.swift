public import SyncModel

/// Why a sync did not complete. Local writes are never lost by a failed sync: they stay queued.
public enum SyncError: Error, Equatable, Sendable, CustomStringConvertible {
    case notConfigured(String)
    case unreachable(server: String, reason: String)
    /// The server answered with an error: its HTTP status (for the person reading, and for
    /// telling a gateway's failure from a refusal), its stable code and its sentence.
    case server(status: Int, code: ServerErrorCode, message: String)
    case badResponse(String)
    /// The address answered a sync with an HTTP error and no error of the protocol: no
    /// field-sync server is there (a wrong path or port, another program).
    case notASyncServer(server: String, status: Int, reason: String)
    case protocolMismatch(Int)
    case noProgress
    case replicaForked(ReplicaID, local: UInt64, server: UInt64)
    /// The server refused a push of a single version for its size.
    case pushRefused(String)

    public var description: String {
        switch self {
        case .notConfigured(let what):
            return "\(what); set it with `sync-client init` or pass --server/--token"
        case .unreachable(let server, let reason):
            return "cannot reach the sync server at \(server) (\(reason)). Your local writes are kept and will be sent at the next sync."
        case .server(let status, let code, let message):
            return "the server refused the sync (\(status) \(code)): \(message)"
        case .notASyncServer(let server, let status, let reason):
            return "\(server) is not a field-sync server: it answered \(status) \(reason) to \(server)/v1/sync. Give the address sync-server printed when it started (its root, like http://127.0.0.1:8080, with no /v1). Your local writes are kept and will be sent at the next sync."
        case .badResponse(let reason):
            return "the server sent an answer this client cannot read (\(reason)); is the URL a field-sync server?"
        case .protocolMismatch(let version):
            return "the server speaks protocol version \(version); this client speaks \(WireProtocol.version). Upgrade the older side."
        case .replicaForked(let id, let local, let server):
            return "the server holds \(server) writes of this replica (\(id.short)) but this file has \(local): the file was restored from an old backup or copied to another machine. Nothing was sent; your writes are kept here. Run `sync-client rekey` to move them to a fresh replica id, then sync again."
        case .pushRefused(let message):
            return "the server refuses even one version of this replica as too large (\(message)). Its request limit is below the size of that version: ask the server's operator to raise `sync-server --max-body-bytes`. Your writes are kept here and will be sent at the next sync."
        case .noProgress:
            return "the server said more versions were waiting but sent none; try again, and report it if it persists"
        }
    }
}
