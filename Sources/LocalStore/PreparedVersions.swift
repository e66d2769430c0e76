public import SyncModel

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
                throw StoreError.invalid(error)
            }
            valueText = StoreCoding.encode(version.value)
        }
    }

    let entries: [Entry]

    init(_ versions: [Version], schemas: SchemaRegistry, maxValueBytes: Int) throws {
        entries = try versions.map { try Entry($0, schemas: schemas, maxValueBytes: maxValueBytes) }
    }
}

extension Store {
    /// Checks and encodes `versions` for ``Replica/receive(_:serverVector:cursor:)``; safe on
    /// any thread. Throws ``StoreError/invalid(_:)`` for the first version that breaks a rule.
    public func prepare(_ versions: [Version]) throws -> PreparedVersions {
        try PreparedVersions(versions, schemas: schemas, maxValueBytes: maxValueBytes)
    }
}
