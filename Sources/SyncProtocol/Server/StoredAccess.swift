package import SyncModel

/// Need-to-know as a server store keeps it, whole: what `sync-server migrate` copies from one
/// store into another so that clearances, records' compartments and replicas' access cursors
/// (see ``AccessCursor``) survive the move. Compartments are named by their ids in the source.
package struct StoredAccess: Sendable {
    package var compartments: [(id: Int64, name: String, created: Int64)] = []
    package var clearances: [(analyst: String, compartment: Int64, write: Bool)] = []
    /// Each analyst's default compartment and the version of their clearances.
    package var analysts: [(name: String, home: Int64, version: UInt64)] = []
    /// The compartments of every record that is not in the default compartment alone.
    package var records: [(record: RecordID, compartments: [Int64])] = []
    /// The placement log, oldest first, with its positions.
    package var placements: [(seq: UInt64, record: RecordID, before: [Int64], after: [Int64], time: Int64)] = []
    /// The numbers cells carry or carried, and those signals name (kept, as the cells signals
    /// name by id are, once a second compartment exists).
    package var cellNumbers: [(number: Int64, record: RecordID)] = []
    package var signalTags: [(number: Int64, signal: RecordID)] = []
    /// The cells signals name by id, held or not.
    package var signalRefs: [(cell: RecordID, signal: RecordID)] = []

    package init() {}
}
