/// Deleting a record while another replica edits it (DESIGN §2.3).
///
/// A delete is a write of the `_deleted` register whose context is the whole record's vector as
/// the deleter saw it. An edit that no delete's context covers was made without knowledge of the
/// delete: while such an edit exists, the record is in conflict (keep or delete) and stays
/// visible; a later `_deleted` write whose context covers the edits closes it either way.
public enum DeleteConflict {
    /// The heads of the record's other fields that no delete head had seen.
    public static func unseenEdits(deletes: [Version], otherHeads: [Dot]) -> [Dot] {
        otherHeads.filter { head in !deletes.contains { $0.context.covers(head) } }
    }

    /// The conflict id for a delete against edits: derived from the record and every dot involved.
    public static func id(record: RecordID, deletes: [Version], edits: [Dot]) -> ConflictID {
        ConflictID(record: record, field: RecordSchema.deletedFieldName, heads: deletes.map(\.dot) + edits)
    }
}
