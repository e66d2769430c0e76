// Speed machinery: the record, version and feed rows a write buffers before inserting them.
import SyncModel

/// A new `record` row, with the row id the batch gave it (`deleted` takes its default, 0).
struct RecordRowInsert: BufferedRow {
    static let insertPrefix = "INSERT OR FAIL INTO record (id, uuid, kind) VALUES "
    static let columnCount = 3
    static let statements = statementTexts()
    var id: Int64
    var uuid: RecordID
    var kind: String

    func bind(to write: inout DirectStatement) {
        write.bind(id)
        write.bind(uuid)
        write.bind(kind)
    }
}

/// A new `version` row, as a replica's batch or a server's push stores each new version.
struct VersionRowInsert: BufferedRow {
    static let insertPrefix = "INSERT OR FAIL INTO version (replica, counter, record, kind, field, context, value, author, time) VALUES "
    static let columnCount = 9
    static let statements = statementTexts()
    var replica: Int64
    var counter: Int64
    var record: Int64
    var kind: String
    var field: String
    var context: [UInt8]
    var value: String
    var author: String
    var time: Int64

    func bind(to write: inout DirectStatement) {
        write.bind(replica)
        write.bind(counter)
        write.bind(record)
        write.bind(kind)
        write.bind(field)
        write.bind(blob: context)
        write.bind(value)
        write.bind(author)
        write.bind(time)
    }
}

/// A `feed` entry of a server file.
struct FeedRowInsert: BufferedRow {
    static let insertPrefix = "INSERT OR FAIL INTO feed (seq, replica, counter, chain) VALUES "
    static let columnCount = 4
    static let statements = statementTexts()
    var seq: Int64
    var replica: Int64
    var counter: Int64
    var chain: Int64

    func bind(to write: inout DirectStatement) {
        write.bind(seq)
        write.bind(replica)
        write.bind(counter)
        write.bind(chain)
    }
}
