/// One immutable write of one field of one record, identified by its dot.
public struct Version: Hashable, Sendable, Codable {
    public var dot: Dot
    /// The field's version vector as the author saw it when writing (excludes `dot`).
    public var context: VersionVector
    public var record: RecordID
    /// The record kind, e.g. `cell` or `signal`.
    public var kind: String
    public var field: String
    public var value: FieldValue
    /// The analyst who wrote it.
    public var author: String
    /// Wall-clock milliseconds since 1970 on the author's machine: shown to people, never used to decide what is kept.
    public var time: Int64

    public init(dot: Dot, context: VersionVector, record: RecordID, kind: String, field: String, value: FieldValue, author: String, time: Int64) {
        self.dot = dot
        self.context = context
        self.record = record
        self.kind = kind
        self.field = field
        self.value = value
        self.author = author
        self.time = time
    }

    /// Whether this version's author had seen `other` when writing.
    public func supersedes(_ other: Version) -> Bool { context.covers(other.dot) }
}
