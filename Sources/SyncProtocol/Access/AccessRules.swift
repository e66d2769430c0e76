/// What one analyst may read and write, by compartment row id, as a store reads it inside an
/// exchange's transaction; the one place the rules of need-to-know are written.
///
/// A record's access class is the set of its compartments: one for a cell, and for a signal
/// the compartment it was made in plus every compartment of every cell it was ever tagged to
/// (the strictest wins, as classification does; a class never shrinks by untagging). An
/// analyst reads a record cleared for every compartment of its class, and writes it cleared to
/// write every one. Write clearance implies read.
public struct AccessRules: Sendable, Equatable {
    public var read: Set<Int64>
    public var write: Set<Int64>
    /// The compartment a record this analyst makes goes to when the push names none.
    public var home: Int64

    public init(read: Set<Int64>, write: Set<Int64>, home: Int64) {
        self.read = read.union(write)
        self.write = write
        self.home = home
    }

    /// Rules for an analyst cleared for everything in a store that has no other compartment.
    public static let unrestricted = AccessRules(read: [Compartment.defaultID], write: [Compartment.defaultID], home: Compartment.defaultID)

    public func mayRead(_ compartments: some Sequence<Int64>) -> Bool { compartments.allSatisfy(read.contains) }
    public func mayWrite(_ compartments: some Sequence<Int64>) -> Bool { compartments.allSatisfy(write.contains) }

    /// The classes (by id) of `classes` this analyst may read; nil when it may read them all,
    /// so that a store with no restriction reads pages without filtering.
    public func readable(of classes: [Int64: [Int64]]) -> Set<Int64>? {
        let readable = classes.filter { mayRead($0.value) }
        return readable.count == classes.count ? nil : Set(readable.keys)
    }
}
