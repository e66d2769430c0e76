/// Records removed from a replica in one sync because its analyst may no longer read them.
public struct Removal: Sendable, Equatable {
    public var id: Int64
    public var time: Int64
    /// The compartments whose clearance went (empty for records moved out of reach).
    public var compartments: [String]
    public var cells: Int
    public var signals: Int
    /// The file the analyst's unsent writes of them were saved to, if there were any.
    public var setAside: String?
    public var setAsideVersions: Int

    /// "3 cells and 1 signal of compartment east were removed from this laptop: clearance revoked".
    public var sentence: String {
        guard cells + signals > 0 else {
            // Writes set aside where the analyst may now only read; the records stay.
            return "your \(setAsideVersions) unsent write\(setAsideVersions == 1 ? "" : "s") in compartment\(compartments.count == 1 ? "" : "s") \(compartments.joined(separator: ", ")), which you may now only read, \(setAsideVersions == 1 ? "was" : "were") saved to \(setAside ?? "a file")"
        }
        let what = [cells > 0 ? "\(cells) cell\(cells == 1 ? "" : "s")" : nil, signals > 0 ? "\(signals) signal\(signals == 1 ? "" : "s")" : nil]
            .compactMap { $0 }.joined(separator: " and ")
        let whence = compartments.isEmpty ? "moved to a compartment you are not cleared for"
            : "clearance for compartment\(compartments.count == 1 ? "" : "s") \(compartments.joined(separator: ", ")) revoked"
        var sentence = "\(what) \(cells + signals == 1 ? "was" : "were") removed from this laptop: \(whence)"
        if let setAside {
            sentence += "; your \(setAsideVersions) unsent write\(setAsideVersions == 1 ? "" : "s") there \(setAsideVersions == 1 ? "was" : "were") saved to \(setAside)"
        }
        return sentence
    }
}
