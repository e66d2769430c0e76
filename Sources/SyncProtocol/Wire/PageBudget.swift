package import SyncModel

/// Bounds a page of versions by its size as well as its count.
///
/// A count alone does not bound a page: 2,000 edits of a 20 KB prose section are 40 MB, over the
/// server's 32 MiB request limit, and a push refused for its size is refused again on every
/// retry. Sync pages stop at ``syncBytes`` of versions as text; a page always takes its first
/// version, so one large version still travels.
public struct PageBudget: Sendable, Equatable {
    /// The stored bytes (values and contexts) one sync page carries at most: a quarter of the
    /// server's default request limit, so the encoding's overhead cannot reach it.
    public static let syncBytes = 8 << 20

    /// The bound of every sync page, pushed or pulled.
    public static let sync = PageBudget(maxBytes: syncBytes)

    /// The bound of a page answering a request that asked for at most `bytes` (nil: no limit of
    /// its own): the smaller of that and ``syncBytes``.
    public static func answering(_ bytes: Int?) -> PageBudget {
        PageBudget(maxBytes: min(max(bytes ?? syncBytes, 1), syncBytes))
    }

    /// No bound: every version the count allows.
    public static let unbounded = PageBudget(maxBytes: .max)

    public let maxBytes: Int
    private var used = 0

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Whether a version of `bytes` joins the page (counting it if so): the first always does.
    package mutating func admits(_ bytes: Int) -> Bool {
        guard used == 0 || bytes <= maxBytes - used else { return false }
        used += bytes
        return true
    }

    /// A version's size as a page counts it: its value's stored text, its context as text
    /// (`uuid:counter` entries, as the wire's JSON form spells it), and a fixed allowance for
    /// ids, names and counters.
    package static func size(context: VersionVector, value: String) -> Int {
        size(context: context, valueBytes: value.utf8.count)
    }

    /// The sizes of `versions` together, as a page counts them.
    package static func size(of versions: [Version]) -> Int {
        versions.reduce(0) { $0 + size($1) }
    }

    /// A version's size as ``size(context:value:)`` counts it, from its value without
    /// rendering it as text (strings as their UTF-8 bytes plus quotes).
    package static func size(_ version: Version) -> Int {
        let valueBytes: Int
        switch version.value {
        case .text(let text): valueBytes = text.utf8.count + 2
        case .list(let items): valueBytes = items.reduce(2) { $0 + $1.utf8.count + 3 }
        case .null, .bool, .int: valueBytes = 20
        }
        return size(context: version.context, valueBytes: valueBytes)
    }

    private static func size(context: VersionVector, valueBytes: Int) -> Int {
        var contextBytes = 0
        for counter in context.entries.lazy.map(\.counter) {
            contextBytes += 38 + decimalDigits(counter)  // uuid, ':', digits, ','
        }
        return contextBytes + valueBytes + 128
    }

    private static func decimalDigits(_ value: UInt64) -> Int {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }
}
