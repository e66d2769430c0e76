public import SyncModel
public import SyncProtocol

/// A server storage whose whole state a test can read: the in-memory one and the real ones
/// (their conformances are in `StoreKinds`). Only tests need it, so it is no part of
/// ``ServerStorage``.
public protocol InspectableStorage: ServerStorage {
    /// Everything the storage keeps, as text in a canonical order: equal exactly when two states
    /// of the same storage are equal (tests check that a refused request changed nothing).
    func canonicalDump() async throws -> String
    /// Whether the storage keeps compartments and clearances. One that does not refuses every
    /// command about them with ``CompartmentError/unsupported(_:)``, and the storage contract
    /// checks that in place of its parts about need-to-know.
    var keepsCompartments: Bool { get }
    /// The compartments of `record` as the storage holds them, sorted; nil for a record it
    /// does not hold.
    func compartments(of record: RecordID) async throws -> [String]?
}
