package import SyncModel

extension OutputJSON {
    /// `diff --json`: `{"record", "kind", "from", "to", "changes": [{"field", "old", "new",
    /// "diff"}], "deletion"}`. `from` and `to` are the points as given (null for the beginning
    /// and now); `diff` is the unified diff of prose and lists (null for other fields, or when
    /// the texts are too far apart to diff line by line); `deletion` is "deleted", "restored"
    /// or null.
    package struct Diff: Encodable, Equatable {
        package var record: String
        package var kind: String
        package var from: String?
        package var to: String?
        package var changes: [Change]
        package var deletion: String?

        package init(record: String, kind: String, from: String?, to: String?, changes: [Change], deletion: String?) {
            (self.record, self.kind, self.from, self.to, self.changes, self.deletion) = (record, kind, from, to, changes, deletion)
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(record, forKey: .record)
            try container.encode(kind, forKey: .kind)
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
            try container.encode(changes, forKey: .changes)
            try container.encode(deletion, forKey: .deletion)
        }

        enum CodingKeys: String, CodingKey { case record, kind, from, to, changes, deletion }
    }

    /// One field that changed between the two points.
    package struct Change: Encodable, Equatable {
        package var field: String
        package var old: FieldValue
        package var new: FieldValue
        package var diff: String?

        package init(field: String, old: FieldValue, new: FieldValue, diff: String?) {
            (self.field, self.old, self.new, self.diff) = (field, old, new, diff)
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(field, forKey: .field)
            try container.encode(old, forKey: .old)
            try container.encode(new, forKey: .new)
            try container.encode(diff, forKey: .diff)
        }

        enum CodingKeys: String, CodingKey { case field, old, new, diff }
    }
}
