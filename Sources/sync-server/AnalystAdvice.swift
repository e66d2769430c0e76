/// `analyst add` of a name already taken, with the command that does what was likely meant:
/// names stay taken after a revoke, so that every version stays attributable to one person.
struct AnalystAdvice: Error, CustomStringConvertible {
    var name: String
    var revoked: Bool

    var description: String {
        if revoked {
            return "analyst '\(name)' exists and is revoked (names stay taken, so their versions stay theirs); "
                + "to let them sync again run `sync-server analyst reinstate \(name)`, with a new token first if the old one leaked: "
                + "`sync-server analyst token \(name)`; for a different person, choose another name"
        }
        return "analyst '\(name)' already exists; to give them a new token run `sync-server analyst token \(name)`, "
            + "or choose another name for a different person"
    }
}
