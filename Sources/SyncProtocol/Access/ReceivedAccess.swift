/// What an answer tells a replica about its analyst's access, stored in the same transaction as
/// the answer's page (see ``SyncReplica/receive(_:serverVector:cursor:deferFields:access:)``).
public struct ReceivedAccess: Sendable, Equatable {
    /// Clearances and placements that changed; applied before the page is stored.
    public var update: AccessUpdate?
    /// The compartments of the page's records (and of the push's new records) outside the
    /// default one.
    public var compartments: [Placement]

    public init(update: AccessUpdate? = nil, compartments: [Placement] = []) {
        self.update = update
        self.compartments = compartments
    }

    /// An answer that said nothing of access.
    public static let none = ReceivedAccess()

    public var isEmpty: Bool { update == nil && compartments.isEmpty }
}
