import SyncModel

/// A JSON reader that remembers the line of every value, so import errors can name the line.
package indirect enum LineJSON: Equatable, Sendable {
    case object([(key: String, value: Node)])
    case array([Node])
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null

    package struct Node: Equatable, Sendable {
        package var value: LineJSON
        package var line: Int
    }

    package static func == (lhs: LineJSON, rhs: LineJSON) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)): return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// What kind of value this is, for error messages.
    package var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .integer, .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// Parses `text`; throws an ``ImportError`` naming the line of the first problem.
    package static func parse(_ text: String) throws -> Node {
        var reader = Reader(bytes: Array(text.utf8))
        reader.skipSpace()
        let node = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.atEnd else { throw ImportError(line: reader.line, "expected the end of the file after the top-level value") }
        return node
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0
        var line = 1

        var atEnd: Bool { index >= bytes.count }
        func peek() -> UInt8? { atEnd ? nil : bytes[index] }

        mutating func skipSpace() {
            while let byte = peek(), byte == 32 || byte == 9 || byte == 10 || byte == 13 {
                if byte == 10 { line += 1 }
                index += 1
            }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws {
            skipSpace()
            guard peek() == byte else { throw ImportError(line: line, "expected \(what)") }
            index += 1
        }

        mutating func value(depth: Int) throws -> Node {
            guard depth < 64 else { throw ImportError(line: line, "values are nested too deeply") }
            skipSpace()
            let start = line
            guard let byte = peek() else { throw ImportError(line: line, "the file ends where a value was expected") }
            switch byte {
            case UInt8(ascii: "{"):
                index += 1
                var members: [(key: String, value: Node)] = []
                skipSpace()
                if peek() == UInt8(ascii: "}") { index += 1; return Node(value: .object(members), line: start) }
                while true {
                    skipSpace()
                    guard peek() == UInt8(ascii: "\"") else { throw ImportError(line: line, "expected a quoted key") }
                    let key = try string()
                    if members.contains(where: { $0.key == key }) { throw ImportError(line: line, "the key \"\(key)\" appears twice") }
                    try expect(UInt8(ascii: ":"), "':' after the key \"\(key)\"")
                    members.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    if peek() == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "}"), "',' or '}' after a member")
                    return Node(value: .object(members), line: start)
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [Node] = []
                skipSpace()
                if peek() == UInt8(ascii: "]") { index += 1; return Node(value: .array(items), line: start) }
                while true {
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    if peek() == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "]"), "',' or ']' after an item")
                    return Node(value: .array(items), line: start)
                }
            case UInt8(ascii: "\""):
                return Node(value: .string(try string()), line: start)
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                for (word, result) in [("true", LineJSON.bool(true)), ("false", .bool(false)), ("null", .null)] where bytes[index...].starts(with: word.utf8) {
                    index += word.utf8.count
                    return Node(value: result, line: start)
                }
                throw ImportError(line: line, "expected a value (a string, number, true, false, null, object or array)")
            default:
                let begin = index
                while let byte = peek(), (byte >= 48 && byte <= 57) || byte == 45 || byte == 43 || byte == 46 || byte == 101 || byte == 69 { index += 1 }
                let text = String(decoding: bytes[begin..<index], as: UTF8.self)
                if let integer = Int64(text) { return Node(value: .integer(integer), line: start) }
                if !text.isEmpty, let number = Double(text) { return Node(value: .number(number), line: start) }
                throw ImportError(line: line, "expected a value (a string, number, true, false, null, object or array)")
            }
        }

        mutating func string() throws -> String {
            index += 1
            do {
                return try JSONStringScanner.scan(bytes, &index)
            } catch {
                throw ImportError(line: line, error.message)
            }
        }
    }
}

/// An import refused at a line of its file; nothing was imported.
package struct ImportError: Error, Equatable, Sendable, CustomStringConvertible {
    package var line: Int
    package var message: String

    package init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    package var description: String { "line \(line): \(message); nothing was imported" }
}
