public import SyncModel
public import SyncProtocol

/// Need-to-know is not kept in memory: every record is in the default compartment and
/// every analyst cleared for it, and the commands that would change that say so.
extension MemoryServerStorage {
    public var keepsCompartments: Bool { false }

    public func addCompartment(_ name: String, at time: Int64) async throws { throw CompartmentError.onlyDefault(store: "in-memory") }

    public func compartments() async throws -> [(name: String, records: Int)] { throw CompartmentError.onlyDefault(store: "in-memory") }

    public func grant(analyst: String, compartment: String, write: Bool) async throws { throw CompartmentError.onlyDefault(store: "in-memory") }

    public func revokeClearance(analyst: String, compartment: String) async throws -> Bool { throw CompartmentError.onlyDefault(store: "in-memory") }

    public func clearances(analyst: String?) async throws -> [ClearanceEntry] { throw CompartmentError.onlyDefault(store: "in-memory") }

    public func setHome(analyst: String, compartment: String) async throws { throw CompartmentError.onlyDefault(store: "in-memory") }

    public func move(record: RecordID, to compartment: String, by analyst: String?, at time: Int64) async throws {
        throw CompartmentError.onlyDefault(store: "in-memory")
    }
}
