import Foundation
package import LocalStore
package import SyncModel
package import SyncProtocol

/// The `--json` shapes. They are a stable interface: fields are only ever added.
package enum OutputJSON {
    /// A record: `{"id", "kind", "deleted", "fields": {every schema field}, "conflicts": [{"field", "id"}]}`.
    package struct Record: Encodable, Equatable {
        package var id: String
        package var kind: String
        package var deleted: Bool
        package var fields: [String: FieldValue]
        package var conflicts: [FieldConflict]

        package init(_ snapshot: RecordSnapshot) {
            id = snapshot.id.rawValue
            kind = snapshot.kind
            deleted = snapshot.deleted
            let names = SchemaRegistry.standard[snapshot.kind]?.fieldNames ?? Array(snapshot.fields.keys)
            fields = Dictionary(uniqueKeysWithValues: names.map { ($0, snapshot.value($0)) })
            conflicts = snapshot.conflicts.map { FieldConflict(field: $0.field, id: $0.id.rawValue) }
        }
    }

    package struct FieldConflict: Encodable, Equatable {
        package var field: String
        package var id: String
    }

    /// One version: `{"replica", "counter", "author", "time", "value"}` (time in ISO 8601 UTC);
    /// in `log`, also `"record", "kind", "field"`.
    package struct VersionInfo: Encodable, Equatable {
        package var replica: String
        package var counter: UInt64
        package var author: String
        package var time: String
        package var value: FieldValue
        package var record: String?
        package var kind: String?
        package var field: String?

        package init(_ version: Version, located: Bool = false) {
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
    package struct BlameEntry: Encodable, Equatable {
        package var field: String
        package var value: FieldValue
        package var setBy: [VersionInfo]

        package init(field: String, value: FieldValue, setBy: [VersionInfo]) {
            self.field = field
            self.value = value
            self.setBy = setBy
        }
    }

    /// A conflict: `{"id", "record", "kind", "field", "provisional", "base", "heads"}`.
    package struct ConflictInfo: Encodable, Equatable {
        package var id: String
        package var record: String
        package var kind: String
        package var field: String
        package var provisional: FieldValue
        package var base: VersionInfo?
        package var heads: [VersionInfo]

        package init(_ conflict: Conflict) {
            id = conflict.id.rawValue
            record = conflict.record.rawValue
            kind = conflict.kind
            field = conflict.field
            provisional = conflict.provisional
            base = conflict.base.map { VersionInfo($0) }
            heads = conflict.heads.map { VersionInfo($0) }
        }

        package func encode(to encoder: any Encoder) throws {
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
    package struct Status: Encodable, Equatable {
        package var replica: String
        package var analyst: String
        package var server: String
        package var versions: UInt64
        package var pending: Int
        package var pendingRecords: [PendingRecord]
        package var openConflicts: Int
        /// Other analysts' versions received by bundle that the server has not taken yet.
        package var carrying: Int
        /// The last sync that ended well: when (ISO 8601 UTC) and with which server; absent before the first.
        package var lastSync: LastSync?
        /// The analyst's clearances as the server last told them ("east: read"); absent before.
        package var clearances: [String]?
        /// What revoked clearances removed from this laptop, a sentence each.
        package var removed: [String]?
        /// After a shallow join: "joining" until its current state is all here, then "arriving"
        /// until its history is; absent for a replica that holds its whole history.
        package var history: String?

        package struct LastSync: Encodable, Equatable {
            package var time: String
            package var server: String
        }

        /// The watch (`sync --watch` or `web`) this replica has, or had: absent if none ever ran.
        package var watch: Watch?

        /// `{"running", "pid", "started", "heartbeat", "last", "lastTime", "unreachableSince", "failedAttempts"}`:
        /// whether a watch holds the replica now, and what it last did (times in ISO 8601 UTC).
        package struct Watch: Encodable, Equatable {
            package var running: Bool
            package var pid: Int32
            package var started: String
            package var heartbeat: String
            package var last: String?
            package var lastTime: String?
            package var unreachableSince: String?
            package var failedAttempts: Int

            package init(_ record: WatchRecord, running: Bool) {
                self.running = running
                pid = record.pid
                started = TextOutput.isoTime(record.started)
                heartbeat = TextOutput.isoTime(record.heartbeat)
                last = record.last
                lastTime = record.lastTime.map(TextOutput.isoTime)
                unreachableSince = record.unreachableSince.map(TextOutput.isoTime)
                failedAttempts = record.failedAttempts
            }
        }

        package init(replica: String, analyst: String, server: String, versions: UInt64, pending: Int, pendingRecords: [PendingRecord], openConflicts: Int,
                    carrying: Int = 0, lastSync: (time: Int64, server: String)? = nil, clearances: [Clearance] = [], removed: [String] = [],
                    watch: Watch? = nil) {
            self.watch = watch
            self.carrying = carrying
            self.clearances = clearances.isEmpty ? nil : clearances.map { "\($0.compartment): \($0.level)" }
            self.removed = removed.isEmpty ? nil : removed
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

    package struct PendingRecord: Encodable, Equatable {
        package var record: String
        package var kind: String
        package var versions: Int

        package init(record: String, kind: String, versions: Int) {
            self.record = record
            self.kind = kind
            self.versions = versions
        }
    }

    /// `config show --json`.
    package struct Config: Encodable, Equatable {
        package var replicaPath: String
        package var replica: String
        package var analyst: String
        package var server: String
        package var serverSource: EffectiveSettings.Source
        package var token: String
        package var tokenSource: EffectiveSettings.Source
        package var caFile: String
        package var caFileSource: EffectiveSettings.Source

        package init(replicaPath: String, replica: String, analyst: String, settings: EffectiveSettings) {
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
    package struct SyncSummary: Encodable, Equatable {
        package var server: String
        package var requests: Int
        package var sent: Int
        package var received: Int
        package var mergedCleanly: Int
        package var newConflicts: [String]
        /// A sentence for each removal a revoked clearance made (see ``Removal``).
        package var removed: [String]?
        /// Files the analyst's unsent writes of removed records were saved to.
        package var setAside: [String]?
        package var backfilled: Int?
        /// The sync requests' and answers' body bytes (over HTTP; absent in process).
        package var sentBytes: Int?
        package var receivedBytes: Int?
        /// Versions of the current state a shallow join brought at this sync.
        package var shallow: Int?
        /// Versions of a shallow join's history this sync brought.
        package var history: Int?
        /// True while a shallow join's history is still arriving.
        package var historyPending: Bool?
        /// The same bodies' bytes before gzip, both ways: over `sentBytes + receivedBytes`, the
        /// compression ratio.
        package var uncompressedBytes: Int?
        /// The most body bytes one request moved, both ways: what a cut costs at most.
        package var largestRequestBytes: Int?

        package init(server: String, requests: Int, sent: Int, received: Int, mergedCleanly: Int, newConflicts: [String],
                     removed: [String] = [], setAside: [String] = [], backfilled: Int = 0) {
            self.server = server
            self.requests = requests
            self.sent = sent
            self.received = received
            self.mergedCleanly = mergedCleanly
            self.newConflicts = newConflicts
            self.removed = removed.isEmpty ? nil : removed
            self.setAside = setAside.isEmpty ? nil : setAside
            self.backfilled = backfilled == 0 ? nil : backfilled
        }
    }

    /// `rekey --json`.
    package struct Rekey: Encodable, Equatable {
        package var previousReplica: String
        package var replica: String
        package var moved: Int
        package var versions: Int
        package var backup: String

        package init(_ report: RekeyReport) {
            previousReplica = report.oldID.rawValue
            replica = report.newID.rawValue
            moved = report.moved
            versions = report.versions
            backup = report.backupPath
        }
    }

    /// Pretty, key-sorted JSON text with a final newline.
    /// `value` on one line (sorted keys), for streams of one object a line.
    package static func line(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self) + "\n"
    }

    package static func text(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self) + "\n"
    }
}
