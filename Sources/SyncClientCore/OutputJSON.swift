import Foundation
public import LocalStore
public import SyncModel

/// The `--json` shapes. They are a stable interface: fields are only ever added.
public enum OutputJSON {
    /// A record: `{"id", "kind", "deleted", "fields": {every schema field}, "conflicts": [{"field", "id"}]}`.
    public struct Record: Encodable, Equatable {
        public var id: String
        public var kind: String
        public var deleted: Bool
        public var fields: [String: FieldValue]
        public var conflicts: [FieldConflict]

        public init(_ snapshot: RecordSnapshot) {
            id = snapshot.id.rawValue
            kind = snapshot.kind
            deleted = snapshot.deleted
            let names = SchemaRegistry.standard[snapshot.kind]?.fieldNames ?? Array(snapshot.fields.keys)
            fields = Dictionary(uniqueKeysWithValues: names.map { ($0, snapshot.value($0)) })
            conflicts = snapshot.conflicts.map { FieldConflict(field: $0.field, id: $0.id.rawValue) }
        }
    }

    public struct FieldConflict: Encodable, Equatable {
        public var field: String
        public var id: String
    }

    /// One version: `{"replica", "counter", "author", "time", "value"}` (time in ISO 8601 UTC);
    /// in `log`, also `"record", "kind", "field"`.
    public struct VersionInfo: Encodable, Equatable {
        public var replica: String
        public var counter: UInt64
        public var author: String
        public var time: String
        public var value: FieldValue
        public var record: String?
        public var kind: String?
        public var field: String?

        public init(_ version: Version, located: Bool = false) {
            replica = version.dot.replica.rawValue
            counter = version.dot.counter
            author = version.author
            time = TextOutput.isoTime(version.time)
            value = version.value
            if located {
                record = version.record.rawValue
                kind = version.kind
                field = version.field
            }
        }
    }

    /// A `blame` entry: `{"field", "value", "setBy": [version]}`.
    public struct BlameEntry: Encodable, Equatable {
        public var field: String
        public var value: FieldValue
        public var setBy: [VersionInfo]

        public init(field: String, value: FieldValue, setBy: [VersionInfo]) {
            self.field = field
            self.value = value
            self.setBy = setBy
        }
    }

    /// A conflict: `{"id", "record", "kind", "field", "provisional", "base", "heads"}`.
    public struct ConflictInfo: Encodable, Equatable {
        public var id: String
        public var record: String
        public var kind: String
        public var field: String
        public var provisional: FieldValue
        public var base: VersionInfo?
        public var heads: [VersionInfo]

        public init(_ conflict: Conflict) {
            id = conflict.id.rawValue
            record = conflict.record.rawValue
            kind = conflict.kind
            field = conflict.field
            provisional = conflict.provisional
            base = conflict.base.map { VersionInfo($0) }
            heads = conflict.heads.map { VersionInfo($0) }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(record, forKey: .record)
            try container.encode(kind, forKey: .kind)
            try container.encode(field, forKey: .field)
            try container.encode(provisional, forKey: .provisional)
            try container.encode(base, forKey: .base)
            try container.encode(heads, forKey: .heads)
        }

        enum CodingKeys: String, CodingKey { case id, record, kind, field, provisional, base, heads }
    }

    /// `status --json`.
    public struct Status: Encodable, Equatable {
        public var replica: String
        public var analyst: String
        public var server: String
        public var versions: UInt64
        public var pending: Int
        public var pendingRecords: [PendingRecord]
        public var openConflicts: Int
        /// Other analysts' versions received by bundle that the server has not taken yet.
        public var carrying: Int
        /// The last sync that ended well: when (ISO 8601 UTC) and with which server; absent before the first.
        public var lastSync: LastSync?

        public struct LastSync: Encodable, Equatable {
            public var time: String
            public var server: String
        }

        public init(replica: String, analyst: String, server: String, versions: UInt64, pending: Int, pendingRecords: [PendingRecord], openConflicts: Int,
                    carrying: Int = 0, lastSync: (time: Int64, server: String)? = nil) {
            self.carrying = carrying
            self.lastSync = lastSync.map { LastSync(time: TextOutput.isoTime($0.time), server: $0.server) }
            self.replica = replica
            self.analyst = analyst
            self.server = server
            self.versions = versions
            self.pending = pending
            self.pendingRecords = pendingRecords
            self.openConflicts = openConflicts
        }
    }

    public struct PendingRecord: Encodable, Equatable {
        public var record: String
        public var kind: String
        public var versions: Int

        public init(record: String, kind: String, versions: Int) {
            self.record = record
            self.kind = kind
            self.versions = versions
        }
    }

    /// `config show --json`.
    public struct Config: Encodable, Equatable {
        public var replicaPath: String
        public var replica: String
        public var analyst: String
        public var server: String
        public var serverSource: EffectiveSettings.Source
        public var token: String
        public var tokenSource: EffectiveSettings.Source
        public var caFile: String
        public var caFileSource: EffectiveSettings.Source

        public init(replicaPath: String, replica: String, analyst: String, settings: EffectiveSettings) {
            self.replicaPath = replicaPath
            self.replica = replica
            self.analyst = analyst
            server = settings.server
            serverSource = settings.serverSource
            token = settings.maskedToken
            tokenSource = settings.tokenSource
            caFile = settings.caFile
            caFileSource = settings.caFileSource
        }
    }

    /// `sync --json`.
    public struct SyncSummary: Encodable, Equatable {
        public var server: String
        public var requests: Int
        public var sent: Int
        public var received: Int
        public var mergedCleanly: Int
        public var newConflicts: [String]

        public init(server: String, requests: Int, sent: Int, received: Int, mergedCleanly: Int, newConflicts: [String]) {
            self.server = server
            self.requests = requests
            self.sent = sent
            self.received = received
            self.mergedCleanly = mergedCleanly
            self.newConflicts = newConflicts
        }
    }

    /// `rekey --json`.
    public struct Rekey: Encodable, Equatable {
        public var previousReplica: String
        public var replica: String
        public var moved: Int
        public var versions: Int
        public var backup: String

        public init(_ report: RekeyReport) {
            previousReplica = report.oldID.rawValue
            replica = report.newID.rawValue
            moved = report.moved
            versions = report.versions
            backup = report.backupPath
        }
    }

    /// Pretty, key-sorted JSON text with a final newline.
    public static func text(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self) + "\n"
    }
}
