// Speed machinery: incoming versions checked and encoded off the writer's thread.
public import SyncModel
import SyncProtocol

/// Versions checked against the model's rules, their values encoded for storage, ready to apply.
///
/// Preparing is the part of applying that needs no database, so a sync prepares the next page
/// on another thread while the writer stores this one (see ``Store/prepare(_:)``). The only way
/// to make one is to check every version: applying it cannot skip a check.
public struct PreparedVersions: Sendable {
    struct Entry: Sendable {
        var version: Version
        var valueText: String

        /// Checks `incoming` (unless `checked` says its maker built it from checked parts) and
        /// encodes its value in canonical form. Its context is encoded when it is stored: the
        /// stored form names replicas by the store's row ids (see ``ClockBlob``).
        init(_ incoming: Version, schemas: SchemaRegistry, maxValueBytes: Int, checked: Bool = false) throws {
            do {
                version = checked ? incoming : try VersionRules.validated(incoming, schemas: schemas, maxValueBytes: maxValueBytes)
            } catch let error as ModelError {
                throw VersionRefusal.invalid(error)
            }
            valueText = StoreCoding.encode(version.value)
        }

        /// A version the write log holds, with the value text it was logged with: a local write
        /// made both from checked parts (see ``WriteLog``).
        init(logged version: Version, valueText: String) {
            self.version = version
            self.valueText = valueText
        }
    }

    let entries: [Entry]
    /// With `foldingFields`, each field the versions touch, in order of first appearance, with
    /// its versions folded from an empty state; `fieldOf[i]` is the field of `entries[i]`.
    let fields: [FieldFold]
    let fieldOf: [Int]

    /// One field's versions in this batch, folded as if the store held none of it: what the
    /// writer adopts whole for a field new to the store, instead of folding version by version.
    struct FieldFold: Sendable {
        var key: ApplyBatch.FieldKey
        var entry: ApplyBatch.FieldEntry
        /// Indices in `entries` of the field's versions, in order.
        var members: [Int]
    }

    init(_ versions: [Version], schemas: SchemaRegistry, maxValueBytes: Int, foldingFields: Bool = false) throws {
        entries = try versions.map { try Entry($0, schemas: schemas, maxValueBytes: maxValueBytes) }
        guard foldingFields else {
            (fields, fieldOf) = ([], [])
            return
        }
        var slots: [ApplyBatch.FieldKey: Int] = [:]
        var folds: [FieldFold] = []
        var fieldOf: [Int] = []
        fieldOf.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            let version = entry.version
            let key = ApplyBatch.FieldKey(record: version.record, field: version.field)
            let slot: Int
            if let known = slots[key] {
                slot = known
            } else {
                slot = folds.count
                slots[key] = slot
                folds.append(FieldFold(key: key, entry: ApplyBatch.FieldEntry(kind: version.kind), members: []))
            }
            _ = ApplyBatch.integrate(version, text: entry.valueText, into: &folds[slot].entry)
            folds[slot].members.append(index)
            fieldOf.append(slot)
        }
        (self.fields, self.fieldOf) = (folds, fieldOf)
    }
}

extension Store {
    /// Checks and encodes `versions` for ``Replica/receive(_:serverVector:cursor:)``; safe on
    /// any thread. Throws ``StoreError/invalid(_:)`` for the first version that breaks a rule.
    public func prepare(_ versions: [Version]) throws -> PreparedVersions {
        try PreparedVersions(versions, schemas: schemas, maxValueBytes: maxValueBytes)
    }

    /// ``prepare(_:)``, also folding each field's versions as if the store held none of it, so
    /// that the writer adopts the folded state of a field new to the store whole (the server,
    /// whose preparing threads are otherwise idle while its one writer works).
    func prepareFoldingFields(_ versions: [Version]) throws -> PreparedVersions {
        try PreparedVersions(versions, schemas: schemas, maxValueBytes: maxValueBytes, foldingFields: true)
    }
}
